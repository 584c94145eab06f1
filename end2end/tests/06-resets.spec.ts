import dgram from 'node:dgram';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import {
  activations,
  adminApi,
  body,
  jobEnded,
  newUser,
  phoneFields,
  publisher,
  restoreActivations,
  restorePhone,
  restoreServiceParameters,
  serviceParameters,
  settlePendingActions,
} from './api';
import { asAdmin, logIn, NO_LOGIN, openHydrated, runState, unique, watchConsole } from './state';

// Required actions become work: the pending-actions banner, reset jobs with their progress,
// cancel, and Control Center's control of the real TFTP server. What other specs left pending is
// done first, through the console; at the end the phones, the CTL Provider's Service Activation
// and its parameters this file changes are as they were.
test.describe.configure({ mode: 'serial' });

const PW = 'a long enough password';

let api: APIRequestContext;
let pub: string;
let ctlProviders: Map<string, boolean>;
let ctlProviderParameters: Map<string, string>;
/** The fields of the demo phones edited here, as they were. */
const edited = new Map<string, Record<string, unknown>>();

test.beforeAll(async () => {
  api = await adminApi();
  pub = await publisher(api);
  ctlProviders = await activations(api, 'CtlProvider');
  ctlProviderParameters = await serviceParameters(api, pub, 'ctl-provider');
});

test.afterAll(async () => {
  for (const [name, fields] of edited) await restorePhone(api, name, fields);
  // The Port back, and the restart that it requires, while the service is still activated.
  const changed = JSON.stringify([...(await serviceParameters(api, pub, 'ctl-provider'))]) !==
    JSON.stringify([...ctlProviderParameters]);
  if (changed) {
    await restoreServiceParameters(api, pub, 'ctl-provider', ctlProviderParameters);
    await settlePendingActions(api);
  }
  await restoreActivations(api, 'CtlProvider', ctlProviders);
  await api.dispose();
});

const admin: (page: Page) => Promise<void> = asAdmin;

/** The first `n` phones of `model`, by name. */
async function phonesOf(model: string, n: number): Promise<string[]> {
  const list = await body(api.get(`/api/v1/phones?model=${encodeURIComponent(model)}&sort=name&per_page=${n}`));
  return list.items.map((p: { name: string }) => p.name);
}

/**
 * Reads `name` over TFTP: true when the first data block arrives, false when the server answers
 * with an error or its port refuses datagrams (the service is stopped). The request goes from an
 * unconnected socket (the answer comes from the transfer's own port); a second socket, connected
 * to the server's port, sends it a malformed packet, so that a closed port's refusal reaches it.
 * No answer at all within 10 s is an error.
 */
function tftpFetch(name: string): Promise<boolean> {
  const [host, port] = runState().tftp.split(':');
  return new Promise((resolve, reject) => {
    const fetch = dgram.createSocket('udp4');
    const probe = dgram.createSocket('udp4');
    let finished = false;
    const finish = (outcome: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      fetch.close();
      probe.close();
      outcome();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`no TFTP answer from ${host}:${port}`))), 10_000);
    fetch.on('message', (msg) => finish(() => resolve(msg.readUInt16BE(0) === 3)));
    fetch.on('error', (err) => finish(() => reject(err)));
    probe.on('error', (err: NodeJS.ErrnoException) =>
      finish(() => (err.code === 'ECONNREFUSED' ? resolve(false) : reject(err))),
    );
    const rrq = Buffer.concat([Buffer.from([0, 1]), Buffer.from(name), Buffer.from([0]), Buffer.from('octet'), Buffer.from([0])]);
    fetch.send(rrq, Number(port), host);
    probe.connect(Number(port), host, () => probe.send(Buffer.from([0, 0])));
  });
}

/** Accepts the confirmation the next click opens. */
function acceptDialogs(page: Page) {
  page.on('dialog', (d) => d.accept());
}

async function setMode(page: Page, name: string) {
  if (!edited.has(name)) edited.set(name, await phoneFields(api, name));
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
  test.setTimeout(180_000);
  // Start from nothing pending: what other specs left is done, as an administrator would do it.
  await settlePendingActions(api);
  const [a, b] = await phonesOf('Cisco 7970', 2);
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
  const server = pub;
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
  test.setTimeout(60_000);
  // The phone model with the most devices.
  const models: { name: string; caps: { class: string } }[] = await body(api.get('/api/v1/phone-models'));
  let model = '';
  let count = '0';
  for (const m of models.filter((m) => m.caps.class === 'Phone')) {
    const total = (await body(api.get(`/api/v1/phones?model=${encodeURIComponent(m.name)}&per_page=1`))).total;
    if (total > Number(count)) [model, count] = [m.name, String(total)];
  }
  expect(Number(count)).toBeGreaterThan(15);
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
  // The worker works one job at a time, the oldest running first: once a job started after the
  // cancel is done, the worker has left the cancelled one, and nothing more can reach it.
  const cancelled = Number(/\/jobs\/(\d+)$/.exec(page.url())![1]);
  const [probe] = await phonesOf('Cisco 7970', 1);
  const after = await body(api.post(`/api/v1/phones/${probe}/reset`, { data: { type: 'restart' } }), 202);
  expect(after.id).toBeGreaterThan(cancelled);
  expect((await jobEnded(api, after.id)).status).toBe('Done');
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

test.describe(() => {
  test.use({ storageState: NO_LOGIN });

  test('a user with ServiceManagement Read Only sees Control Center read-only', async ({ page }) => {
    const monitor = unique('monitor');
    // The standard ReadOnly group reads every functional group, ServiceManagement included.
    await newUser(api, monitor, PW, ['ReadOnly']);
    await logIn(page, monitor, PW);
    await expect(page.getByTestId('current-user')).toHaveText(monitor);
    await openHydrated(page, '/control-center');
    await expect(page.getByRole('note')).toContainText('Read Only');
    const buttons = page.locator('td.button-row button');
    expect(await buttons.count()).toBeGreaterThan(3);
    for (const b of await buttons.all()) await expect(b).toBeDisabled();
    await expect(page.getByTestId('pending-banner')).toHaveCount(0);
    const server = pub;
    const res = await page.request.post(`/api/v1/servers/${server}/services/tftp/stop`, { headers: { 'sec-fetch-site': 'same-origin' }, data: {} });
    expect(res.status()).toBe(403);
    await page.screenshot({ path: 'test-results/control-center-read-only.png', fullPage: true });
  });
});

test('the new pages fit a tablet screen without sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 768, height: 1024 });
  await admin(page);
  // The latest reset or restart job of many devices, and the first phone by name.
  const jobs: { id: number; total: number }[] = await body(api.get('/api/v1/jobs'));
  const job = Math.max(...jobs.filter((j) => j.total > 1).map((j) => j.id));
  expect(job).toBeGreaterThan(0);
  const phone = (await body(api.get('/api/v1/phones?name=SEP&sort=name&per_page=1'))).items[0].name;
  expect(phone).toMatch(/^SEP/);
  for (const url of ['/pending-actions', '/jobs', `/jobs/${job}`, '/control-center', `/phones/${phone}`]) {
    await openHydrated(page, url);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, url).toBeLessThanOrEqual(0);
  }
  await page.screenshot({ path: 'test-results/phone-reset-tablet.png', fullPage: true });
  await openHydrated(page, `/jobs/${job}`);
  await page.screenshot({ path: 'test-results/job-tablet.png', fullPage: true });
});
