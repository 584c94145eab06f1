import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { EMPTY_URL, startEmptyServer, type EmptyServer } from './empty-server';
import { firstLogin, NO_LOGIN, openHydrated, watchConsole } from './state';

// The first steps on an empty install, on a server of its own (global setup's has demo data):
// first login, a CallManager group, a device pool, phones, then a CSV export edited and imported
// through Device > Bulk Administration. Its browser starts without the shared login (a cookie of
// 127.0.0.1 goes to every port of it).
test.describe.configure({ mode: 'serial' });
test.use({ baseURL: EMPTY_URL, storageState: NO_LOGIN });

let server: EmptyServer;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  server = await startEmptyServer();
});

test.afterAll(async () => {
  await server?.stop();
});

/** One record of a CSV file and the line of the file it starts on (the header is line 1). */
interface CsvRecord {
  line: number;
  cells: string[];
}

/** Parses RFC 4180 CSV: quoted values may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let started = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
      started = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      started = true;
    } else if (c === '\n') {
      cells.push(cell);
      records.push({ line: start, cells });
      cells = [];
      cell = '';
      started = false;
      line++;
      start = line;
    } else if (c !== '\r') {
      cell += c;
      started = true;
    }
  }
  if (started) {
    cells.push(cell);
    records.push({ line: start, cells });
  }
  return records;
}

function csvCell(value: string): string {
  return /[",\r\n]|^ | $/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function writeCsv(rows: string[][], eol: string): string {
  return rows.map((r) => r.map(csvCell).join(',')).join(eol) + eol;
}

/** Opens a page of the menu bar: the area's button, then the item; then closes the menu, which
 * stays open while it has the focus or the pointer and would cover the page's toolbar. */
async function menu(page: Page, area: string, item: string) {
  const bar = page.getByRole('navigation', { name: 'Main menu' });
  await bar.getByRole('button', { name: area }).focus();
  await bar.getByRole('link', { name: item, exact: true }).click();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.mouse.move(1200, 780);
  await expect(bar.getByRole('link', { name: item, exact: true })).toBeHidden();
}

test('first steps on an empty install: group, pool, phones, export, edit and import', async ({ page }) => {
  test.setTimeout(120_000);
  const problems = watchConsole(page);

  // First login with the generated password, then the forced change.
  await firstLogin(page, server.password);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');

  // The home page of an empty cluster says what to do next.
  await expect(page.getByTestId('next-steps')).toBeVisible();
  await page.screenshot({ path: 'test-results/first-steps-home.png', fullPage: true });

  // System > Cisco CallManager Group: a group whose primary is the publisher of this node.
  await menu(page, 'System', 'Cisco CallManager Group');
  await page.getByRole('link', { name: /^Add a New/ }).click();
  await page.getByLabel('Cisco CallManager Group Name').fill('CMG-Branch');
  const primary = page.locator('#group-member-0');
  const offered = async () =>
    (await primary.locator('option').evaluateAll((options) =>
      options.map((o) => ({ value: (o as HTMLOptionElement).value, text: (o.textContent ?? '').trim() })),
    )).filter((o) => o.value !== '' && o.text !== '(none)');
  await expect.poll(async () => (await offered()).length).toBeGreaterThan(0);
  await primary.selectOption((await offered())[0].value);
  await page.getByRole('button', { name: 'Insert' }).click();
  // An inserted group opens on its own configuration page.
  await expect(page).toHaveURL(/\/callmanager-groups\/CMG-Branch$/);
  await expect(page.getByLabel('Cisco CallManager Group Name')).toHaveValue('CMG-Branch');

  // System > Device Pool: a pool in that group.
  await menu(page, 'System', 'Device Pool');
  await page.getByRole('link', { name: /^Add a New/ }).click();
  await page.getByLabel('Device Pool Name').fill('DP-Branch');
  await page.getByLabel('Cisco CallManager Group', { exact: true }).selectOption('CMG-Branch');
  await page.getByLabel('Region', { exact: true }).selectOption('Default');
  await page.getByLabel('SRST Reference', { exact: true }).selectOption('Disable');
  await page.getByRole('button', { name: 'Insert' }).click();
  await expect(page).toHaveURL(/\/device-pools\/DP-Branch$/);
  await menu(page, 'System', 'Device Pool');
  await expect(page.getByTestId('device-pools')).toContainText('DP-Branch');
  await page.screenshot({ path: 'test-results/device-pools.png', fullPage: true });

  // Device > Phone: one phone through the page, a second through the API.
  await openHydrated(page, '/add-phone');
  await page.locator('#device-name').fill('SEP0011223344AA');
  await page.locator('#phone-model').selectOption('Cisco 7960');
  await page.locator('#device-pool').selectOption('DP-Branch');
  await page.getByRole('button', { name: 'Insert' }).click();
  await expect(page).toHaveURL(/\/phones\/SEP0011223344AA$/);
  const first = await page.request.get('/api/v1/phones/SEP0011223344AA');
  expect(first.status()).toBe(200);
  const created = await page.request.post('/api/v1/phones', {
    headers: { 'sec-fetch-site': 'same-origin' },
    data: { ...(await first.json()).fields, name: 'SEP0011223344AB' },
  });
  expect(created.status(), await created.text()).toBe(201);

  // Device > Bulk Administration: export the phones…
  await openHydrated(page, '/bulk-administration');
  await expect(page.getByRole('heading', { name: 'Bulk Administration', level: 1 })).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-phones').click()]);
  const exported = readFileSync(await download.path(), 'utf8');
  const bom = exported.startsWith('\uFEFF') ? '\uFEFF' : '';
  const eol = exported.includes('\r\n') ? '\r\n' : '\n';
  const records = parseCsv(exported.slice(bom.length));
  const header = records[0].cells;
  expect(header).toContain('Device Name');
  expect(header).toContain('Device Security Mode');
  const nameCol = header.indexOf('Device Name');
  const descriptionCol = header.indexOf('Description');
  const modelCol = header.indexOf('Phone Model');
  expect(descriptionCol).toBeGreaterThanOrEqual(0);
  expect(modelCol).toBeGreaterThanOrEqual(0);
  const rows = records.slice(1).map((r) => r.cells);
  const rowOf = (name: string) => {
    const row = rows.find((r) => r[nameCol] === name);
    expect(row, `${name} in the export`).toBeTruthy();
    return row!;
  };

  // …change one phone's description and give the other a model that does not exist…
  rowOf('SEP0011223344AA')[descriptionCol] = 'Imported from CSV';
  rowOf('SEP0011223344AB')[modelCol] = 'Cisco 9999';
  const edited = bom + writeCsv([header, ...rows], eol);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ccmadmin-import-')), 'phones.csv');
  writeFileSync(file, edited);
  const refusedLine = parseCsv(edited.slice(bom.length)).find((r) => r.cells[nameCol] === 'SEP0011223344AB')!.line;

  // …and validate the file: one update, one refused row with the line and column that refuse it.
  await page.setInputFiles('#import-file', file);
  await page.locator('#mode-valid-rows').check();
  await page.locator('#import-validate').click();
  const report = page.getByTestId('import-report');
  await expect(report).toBeVisible();
  await expect(page.getByTestId('count-refused')).toHaveText('1');
  await expect(page.getByTestId('count-updates')).toHaveText('1');
  const refused = page.getByTestId('import-problems').locator('tbody tr').filter({ hasText: 'Phone Model' }).first();
  await expect(refused.locator('td').nth(0)).toHaveText(String(refusedLine));
  await expect(refused.locator('td').nth(1)).toHaveText('Phone Model');
  await page.screenshot({ path: 'test-results/bulk-import-report.png', fullPage: true });

  // Import the valid rows as a job.
  let question = '';
  page.once('dialog', (dialog) => {
    question = dialog.message();
    void dialog.accept();
  });
  await page.locator('#import-start').click();
  const job = page.getByTestId('import-job');
  await expect(job).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  expect(question).toBe('Import 1 rows?');
  await expect(page.getByTestId('import-done')).toBeVisible();

  // The change landed; the refused phone kept its model.
  await openHydrated(page, '/phones/SEP0011223344AA');
  await expect(page.locator('#device-description')).toHaveValue('Imported from CSV');
  const other = await (await page.request.get('/api/v1/phones/SEP0011223344AB')).json();
  expect(other.fields.model).toBe('Cisco 7960');
  expect(problems).toEqual([]);
});
