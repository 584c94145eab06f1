import dgram from 'node:dgram';
import { expect, test, type Page } from '@playwright/test';
import { logIn, NEW_PASSWORD, openHydrated, runState, watchConsole } from './state';
import { storeQuery } from './store';

// Required actions become work: the pending-actions banner, reset jobs with their progress,
// cancel, and Control Center's control of the real TFTP server.
test.describe.configure({ mode: 'serial' });

const PW = 'a long enough password';

async function admin(page: Page) {
  await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
}

/** Reads `name` over TFTP: true when the first data block arrives, false on an error or silence. */
function tftpFetch(name: string): Promise<boolean> {
  const [host, port] = runState().tftp.split(':');
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1_500);
    socket.on('message', (msg) => done(msg.readUInt16BE(0) === 3));
    socket.on('error', () => done(false));
    const rrq = Buffer.concat([Buffer.from([0, 1]), Buffer.from(name), Buffer.from([0]), Buffer.from('octet'), Buffer.from([0])]);
    socket.send(rrq, Number(port), host);
  });
}

/** Accepts the confirmation the next click opens. */
function acceptDialogs(page: Page) {
  page.on('dialog', (d) => d.accept());
}

async function setMode(page: Page, name: string) {
  await openHydrated(page, `/phones/${name}`);
  const select = page.getByLabel('Device Security Mode');
  const current = await select.locator('option:checked').textContent();
  await select.selectOption({ label: current === 'Authenticated' ? 'Encrypted' : 'Authenticated' });
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByTestId('save-result')).toContainText(`Reset ${name} (R10)`);
}

async function resetFromPhonePage(page: Page, name: string) {
  await openHydrated(page, `/phones/${name}`);
  await page.getByRole('region', { name: 'Reset Phone' }).getByRole('button', { name: 'Reset' }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByTestId('job-status')).toHaveText('Done');
}

test('the banner counts pending actions, merges device resets and follows edits and resets (R10)', async ({ page }) => {
  // Start from nothing pending (earlier specs left actions behind).
  storeQuery('UPDATE required_actions SET done_at = created_at WHERE done_at IS NULL');
  test.setTimeout(120_000);
  const [a, b] = storeQuery(
    "SELECT d.name FROM devices d JOIN phone_models m ON m.id = d.model_id WHERE m.name = 'Cisco 7970' ORDER BY d.name LIMIT 2",
  );
  acceptDialogs(page);
  await admin(page);
  await openHydrated(page, '/phones');
  await expect(page.getByTestId('pending-banner')).toHaveCount(0);

  await setMode(page, a);
  await expect(page.getByTestId('pending-banner')).toHaveText(/1 action required/);
  await setMode(page, b);
  // Two device changes are one line: reset 2 devices.
  await expect(page.getByTestId('pending-banner')).toHaveText(/1 action required/);
  await page.getByTestId('pending-banner').getByRole('link').click();
  await expect(page.getByRole('heading', { name: 'Pending Actions' })).toBeVisible();
  await expect(page.getByTestId('pending-what')).toHaveText('Reset 2 devices (R10)');
  await page.screenshot({ path: 'test-results/pending-actions.png', fullPage: true });

  // A restart needed on a server is a second line, until Control Center restarts it.
  const server = storeQuery("SELECT name FROM servers WHERE role = 'publisher'")[0];
  const activated = await page.request.put(`/api/v1/servers/${server}/services/ctl-provider`, {
    headers: { 'sec-fetch-site': 'same-origin' },
    data: { activated: true },
  });
  expect(activated.status(), await activated.text()).toBe(200);
  const res = await page.request.put(`/api/v1/service-parameters/${server}/ctl-provider/Port`, {
    headers: { 'sec-fetch-site': 'same-origin' },
    data: { value: '2445' },
  });
  expect(res.status(), await res.text()).toBe(200);
  await openHydrated(page, '/control-center');
  await expect(page.getByTestId('pending-banner')).toHaveText(/2 actions required/);
  const ctlProvider = page
    .locator('table', { has: page.locator('caption', { hasText: '(this node)' }) })
    .locator('tr[data-service="ctl-provider"]');
  await ctlProvider.getByRole('button', { name: 'Restart' }).click();
  await expect(ctlProvider.getByTestId('service-state')).toHaveText('Started');
  await expect(page.getByTestId('pending-banner')).toHaveText(/1 action required/);

  await resetFromPhonePage(page, a);
  await expect(page.getByTestId('pending-banner')).toHaveText(/1 action required/);
  await openHydrated(page, '/pending-actions');
  await expect(page.getByTestId('pending-what')).toHaveText(`Reset ${b} (R10)`);
  await resetFromPhonePage(page, b);
  await expect(page.getByTestId('pending-banner')).toHaveCount(0);
  await openHydrated(page, '/pending-actions');
  await expect(page.getByTestId('no-pending')).toBeVisible();
});

test('a reset job’s progress bar moves and ends', async ({ page }) => {
  const [model, count] = storeQuery(
    "SELECT m.name, COUNT(*) FROM devices d JOIN phone_models m ON m.id = d.model_id WHERE m.device_class = 'phone' GROUP BY m.name ORDER BY COUNT(*) DESC LIMIT 1",
  )[0].split('\t');
  expect(Number(count)).toBeGreaterThan(15);
  test.setTimeout(60_000);
  acceptDialogs(page);
  const problems = watchConsole(page);
  await admin(page);
  await openHydrated(page, `/phones?model=${encodeURIComponent(model)}`);
  const panel = page.getByRole('region', { name: 'Reset Phones' });
  await panel.getByLabel(/phones that match the filter/).check();
  await panel.getByLabel(/Rate/).fill('10');
  await panel.getByRole('button', { name: 'Reset' }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  const bar = page.getByTestId('job-progress');
  await expect(bar).toHaveAttribute('max', count);
  await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
  const first = Number(await bar.getAttribute('value'));
  await page.screenshot({ path: 'test-results/job-running.png', fullPage: true });
  await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(first);
  await expect(page.getByTestId('job-status')).toHaveText('Done', { timeout: 20_000 });
  await expect(bar).toHaveAttribute('value', count);
  await expect(page.getByTestId('count-not_registered')).toHaveText(count);
  await page.screenshot({ path: 'test-results/job-done.png', fullPage: true });
  expect(problems).toEqual([]);
});

test('cancel stops a slow job', async ({ page }) => {
  test.setTimeout(60_000);
  acceptDialogs(page);
  await admin(page);
  await openHydrated(page, '/phones');
  const panel = page.getByRole('region', { name: 'Reset Phones' });
  await panel.getByLabel(/phones that match the filter/).check();
  await panel.getByLabel('Restart — reloads its configuration without a reboot').check();
  await panel.getByLabel(/Rate/).fill('2');
  await panel.getByRole('button', { name: 'Restart' }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByTestId('job-action')).toHaveText('Restart');
  await expect.poll(async () => Number(await page.getByTestId('count-not_registered').textContent())).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('job-status')).toHaveText('Cancelled');
  const reached = Number(await page.getByTestId('count-not_registered').textContent());
  expect(Number(await page.getByTestId('count-cancelled').textContent())).toBeGreaterThan(100);
  await expect(page.getByTestId('count-pending')).toHaveText('0');
  await page.waitForTimeout(1_500);
  await page.reload();
  await expect(page.getByTestId('count-not_registered')).toHaveText(String(reached));
  await expect(page.getByRole('button', { name: 'Resume' })).toBeDisabled();
});

test('stopping Cisco TFTP in Control Center makes a fetch fail; starting it restores it', async ({ page }) => {
  expect(await tftpFetch('XMLDefault.cnf.xml')).toBe(true);
  await admin(page);
  await openHydrated(page, '/control-center');
  const here = page.locator('table', { has: page.locator('caption', { hasText: '(this node)' }) });
  const tftp = here.locator('tr[data-service="tftp"]');
  await expect(tftp.getByTestId('service-state')).toHaveText('Started');
  await tftp.getByRole('button', { name: 'Stop' }).click();
  await expect(tftp.getByTestId('service-state')).toHaveText('Stopped');
  await expect.poll(() => tftpFetch('XMLDefault.cnf.xml')).toBe(false);
  await page.screenshot({ path: 'test-results/control-center-stopped.png', fullPage: true });
  await tftp.getByRole('button', { name: /^Start / }).click();
  await expect(tftp.getByTestId('service-state')).toHaveText('Started');
  await expect.poll(() => tftpFetch('XMLDefault.cnf.xml')).toBe(true);
});

test('a user with ServiceManagement Read Only sees Control Center read-only', async ({ page, browser }) => {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: test.info().project.use.baseURL });
  const login = await ctx.request.post('/api/v1/login', { data: { username: 'CCMAdministrator', password: NEW_PASSWORD } });
  expect(login.status()).toBe(200);
  // The standard ReadOnly group reads every functional group, ServiceManagement included.
  const created = await ctx.request.post('/api/v1/users', { headers: { 'sec-fetch-site': 'same-origin' }, data: { name: 'monitor', password: PW, groups: ['ReadOnly'] } });
  expect(created.status(), await created.text()).toBe(201);
  await ctx.close();
  await logIn(page, 'monitor', PW);
  await expect(page.getByTestId('current-user')).toHaveText('monitor');
  await openHydrated(page, '/control-center');
  await expect(page.getByRole('note')).toContainText('Read Only');
  const buttons = page.locator('td.button-row button');
  expect(await buttons.count()).toBeGreaterThan(3);
  for (const b of await buttons.all()) await expect(b).toBeDisabled();
  await expect(page.getByTestId('pending-banner')).toHaveCount(0);
  const server = storeQuery("SELECT name FROM servers WHERE role = 'publisher'")[0];
  const res = await page.request.post(`/api/v1/servers/${server}/services/tftp/stop`, { headers: { 'sec-fetch-site': 'same-origin' }, data: {} });
  expect(res.status()).toBe(403);
  await page.screenshot({ path: 'test-results/control-center-read-only.png', fullPage: true });
});

test('the new pages fit a tablet screen without sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 768, height: 1024 });
  await admin(page);
  const job = storeQuery("SELECT MAX(id) FROM jobs WHERE kind IN ('device_reset', 'device_restart')")[0];
  const phone = storeQuery("SELECT name FROM devices WHERE name LIKE 'SEP%' ORDER BY name LIMIT 1")[0];
  for (const url of ['/pending-actions', '/jobs', `/jobs/${job}`, '/control-center', `/phones/${phone}`]) {
    await openHydrated(page, url);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, url).toBeLessThanOrEqual(0);
  }
  await page.screenshot({ path: 'test-results/phone-reset-tablet.png', fullPage: true });
  await openHydrated(page, `/jobs/${job}`);
  await page.screenshot({ path: 'test-results/job-tablet.png', fullPage: true });
});
