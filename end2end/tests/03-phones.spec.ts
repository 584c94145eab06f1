import { expect, test, type APIRequestContext } from '@playwright/test';
import { adminApi, body, jobEnded, phoneFields, restorePhone } from './api';
import { asAdmin, freshContext, logIn, NEW_PASSWORD, openHydrated, watchConsole } from './state';

// Global setup filled the store with `ccmadmin demo --phones 300`; the cluster is Non-Secure
// (the specs that make it Mixed put it back). The demo phones this file edits get their fields
// back at the end.
test.describe.configure({ mode: 'serial' });

let api: APIRequestContext;
/** The fields of the demo phones edited here, as they were. */
const edited = new Map<string, Record<string, unknown>>();
/** Whether the bulk change disabled the PC port of every Cisco 7970 (all had it enabled). */
let bulkApplied = false;

test.beforeAll(async () => {
  api = await adminApi();
});

test.afterAll(async () => {
  for (const [name, fields] of edited) await restorePhone(api, name, fields);
  if (bulkApplied) {
    const job = await body(
      api.post('/api/v1/phones/bulk', { data: { filter: { model: 'Cisco 7970' }, field: 'pc_port', value: 'Enabled' } }),
      202,
    );
    expect((await jobEnded(api, job.id)).status).toBe('done');
  }
  await api.dispose();
});

/** Keeps the fields of a demo phone before it is edited, to put them back at the end. */
async function willEdit(name: string) {
  if (!edited.has(name)) edited.set(name, await phoneFields(api, name));
}

const admin = asAdmin;

async function firstPhone(page: import('@playwright/test').Page, model: string): Promise<string> {
  const res = await page.request.get(`/api/v1/phones?model=${encodeURIComponent(model)}&per_page=1`);
  expect(res.status()).toBe(200);
  const body = await res.json();
  return body.items[0].name as string;
}

test('find phones by effective mode', async ({ page }) => {
  const problems = watchConsole(page);
  await admin(page);
  await openHydrated(page, '/phones');
  const menu = page.getByRole('navigation', { name: 'Main menu' });
  await expect(menu.getByRole('button', { name: 'Device' })).toBeVisible();

  await page.getByLabel('Device Security Mode').selectOption('encrypted');
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page).toHaveURL(/configured=encrypted/);
  const table = page.getByTestId('phones');
  await expect(table.locator('tbody tr').first()).toBeVisible();
  // On a Non-Secure cluster every configured Encrypted phone runs Non Secure (R8).
  for (const cell of await table.locator('tbody td.effective').allTextContents()) {
    expect(cell).toContain('Non Secure');
  }
  await page.screenshot({ path: 'test-results/phones-list.png', fullPage: true });

  await openHydrated(page, '/phones?effective=encrypted');
  await expect(page.getByTestId('phones').locator('caption')).toHaveText('0 matching phones');
  await openHydrated(page, '/phones?effective=non_secure');
  await expect(page.getByTestId('phones').locator('caption')).toHaveText('319 matching phones');
  expect(problems).toEqual([]);
});

test('a Non-Secure cluster shows effective Non Secure with the reason', async ({ page }) => {
  await admin(page);
  const name = await firstPhone(page, 'Cisco 7970');
  await openHydrated(page, `/phones/${name}`);
  await page.getByLabel('Device Security Mode').selectOption('Authenticated');
  await expect(page.getByTestId('configured-mode')).toHaveText('Authenticated');
  await expect(page.getByTestId('effective-mode')).toHaveText('Non Secure');
  await expect(page.getByTestId('effective-reason')).toContainText('cluster is Non-Secure');
  await expect(page.getByTestId('effective-reason')).toContainText('R8');
});

test('Encrypted with Built In Bridge On shows the R5 warning before and after saving', async ({ page }) => {
  await admin(page);
  const name = await firstPhone(page, 'Cisco 7960');
  await willEdit(name);
  await openHydrated(page, `/phones/${name}`);
  await page.getByLabel('Device Security Mode').selectOption('Encrypted');
  await page.getByLabel('Built In Bridge').selectOption('On');
  await expect(page.getByTestId('r5-warning')).toContainText('R5');
  await page.screenshot({ path: 'test-results/phone-r5.png', fullPage: true });
  await page.getByRole('button', { name: 'Update' }).click();
  const result = page.getByTestId('save-result');
  await expect(result).toContainText(`Phone ${name} updated.`);
  await expect(result.getByTestId('saved-warning')).toContainText('R5');
  await expect(result).toContainText(`Reset ${name} (R10)`);
});

test('a model without encryption cannot be set to Encrypted', async ({ page }) => {
  await admin(page);
  const name = await firstPhone(page, 'Cisco 7912');
  await openHydrated(page, `/phones/${name}`);
  const select = page.getByLabel('Device Security Mode');
  await expect(select.locator('option', { hasText: 'Encrypted' })).toBeDisabled();
  await expect(select.locator('option', { hasText: 'Authenticated' })).toBeDisabled();
  await expect(page.getByTestId('mode-limits')).toContainText('R7');
  // The server refuses it too.
  const phone = await (await page.request.get(`/api/v1/phones/${name}`)).json();
  const res = await page.request.put(`/api/v1/phones/${name}`, {
    headers: { 'sec-fetch-site': 'same-origin' },
    data: { ...phone.fields, security_mode: { Explicit: 'Encrypted' }, version: phone.version },
  });
  expect(res.status()).toBe(422);
  expect((await res.json()).field).toBe('Device Security Mode');
});

test('two browsers edit the same phone: the second save gets the conflict message', async ({ page, browser }) => {
  await admin(page);
  const name = await firstPhone(page, 'Cisco 7940');
  await willEdit(name);
  // The second browser logs in itself: a session apart from the shared one.
  const other = await freshContext(browser);
  const otherPage = await other.newPage();
  await logIn(otherPage, 'CCMAdministrator', NEW_PASSWORD);
  await expect(otherPage.getByTestId('current-user')).toHaveText('CCMAdministrator');
  await openHydrated(page, `/phones/${name}`);
  await openHydrated(otherPage, `/phones/${name}`);
  await page.getByLabel('Description').fill('first admin');
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByTestId('save-result')).toBeVisible();
  await otherPage.getByLabel('Description').fill('second admin');
  await otherPage.getByRole('button', { name: 'Update' }).click();
  await expect(otherPage.getByRole('alert')).toContainText('was changed by CCMAdministrator');
  await other.close();
});

test('bad input on a new phone names the field and saves nothing', async ({ page }) => {
  await admin(page);
  await openHydrated(page, '/add-phone');
  await page.getByLabel('Device Name').fill('SEP12345');
  await expect(page.locator('#err-Device-Name')).toContainText('12 hex digits');
  await page.getByRole('button', { name: 'Insert' }).click();
  await expect(page.getByRole('alert')).toContainText('Device Name');
  await page.getByLabel('Device Name').fill('SEPAABBCCDDEEFF');
  await page.getByLabel('Authentication String').fill('12');
  await expect(page.locator('#err-Authentication-String')).toContainText('4 to 10 digits');
  expect((await page.request.get('/api/v1/phones/SEPAABBCCDDEEFF')).status()).toBe(404);
});

test('a bulk change of a filtered set shows its preview, runs with a progress bar and lands', async ({ page }) => {
  await admin(page);
  await openHydrated(page, '/phones?model=Cisco%207970');
  const total = Number((await page.getByTestId('phones').locator('caption').textContent())!.split(' ')[0]);
  expect(total).toBeGreaterThan(0);
  await page.getByLabel(/All \d+ phones that match the filter/).check();
  await page.getByLabel('Field').selectOption('pc_port');
  await page.getByLabel('New Value').selectOption('Disabled');
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByTestId('bulk-preview');
  await expect(preview).toContainText(`${total} phones match: ${total} will change, 0 already have this value, 0 refused.`);
  await page.screenshot({ path: 'test-results/bulk-preview.png', fullPage: true });
  bulkApplied = true;
  await page.getByRole('button', { name: 'Apply to the phones that will change' }).click();
  const job = page.getByTestId('bulk-job');
  await expect(job.locator('progress')).toBeVisible();
  await expect(job).toHaveAttribute('data-status', 'done');
  await expect(job).toContainText(`${total} of ${total} processed, ${total} changed`);
  await page.screenshot({ path: 'test-results/bulk-done.png', fullPage: true });

  const name = (await page.getByTestId('phones').locator('tbody tr td:nth-child(2)').first().textContent())!;
  const phone = await (await page.request.get(`/api/v1/phones/${name}`)).json();
  expect(phone.fields.hardening.pc_port).toBe(false);
});
