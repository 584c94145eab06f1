import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import {
  activations,
  adminApi,
  body,
  clusterMode,
  enterpriseParameters,
  restoreActivations,
  restoreEnterpriseParameters,
  restoreServiceParameters,
  runCtl,
  serviceParameters,
} from './api';
import { asAdmin, openHydrated, unique, watchConsole } from './state';

// System > SRST, Enterprise Parameters, Service Parameters, Cisco CallManager, Service Activation
// and the security dashboard, on the demo cluster of global setup (Non-Secure at the start). The
// R9 test makes the cluster Mixed with the CTL operation, as an administrator would, for the
// tests after it; at the end the cluster is Non-Secure again, and the SRST reference, the
// parameters and the service activations this file changes are as they were.
test.describe.configure({ mode: 'serial' });

const GATEWAY_CN = 'srst-gw.e2e.example';
const TLS_REF = unique('E2E-TLS-');
const DOWN_REF = unique('E2E-Down-');
let gateway: tls.Server;
let gatewayPort = 0;

let api: APIRequestContext;
let ctlProviders: Map<string, boolean>;
let parameters: Map<string, string>;
let callManagerParameters: Map<string, string>;
/** The demo pool the R9 test uses, and its SRST reference as it was. */
let pool: { name: string; srst: string };
let reference: { fields: Record<string, unknown> };

/** The first demo pool with an SRST reference of its own (not Disable, not the default gateway). */
async function poolWithReference(): Promise<{ name: string; srst: string }> {
  const pools = await body(api.get('/api/v1/device-pools'));
  const found = pools.find((p: { srst: string }) => p.srst !== 'Disable' && p.srst !== 'Use Default Gateway');
  expect(found, 'a demo pool with an SRST reference').toBeTruthy();
  return found;
}

test.beforeAll(async () => {
  api = await adminApi();
  expect(await clusterMode(api)).toBe('NonSecure');
  ctlProviders = await activations(api, 'CtlProvider');
  parameters = await enterpriseParameters(api);
  callManagerParameters = await serviceParameters(api, 'CM-PUB', 'callmanager');
  pool = await poolWithReference();
  reference = await body(api.get(`/api/v1/srst-references/${pool.srst}`));
});

test.afterAll(async () => {
  if ((await clusterMode(api)) !== 'NonSecure') await runCtl(api, 'NonSecure');
  await restoreActivations(api, 'CtlProvider', ctlProviders);
  const now = await body(api.get(`/api/v1/srst-references/${pool.srst}`));
  if (JSON.stringify(now.fields) !== JSON.stringify(reference.fields)) {
    await body(api.put(`/api/v1/srst-references/${pool.srst}`, { data: { ...reference.fields, version: now.version } }));
  }
  await restoreEnterpriseParameters(api, parameters);
  await restoreServiceParameters(api, 'CM-PUB', 'callmanager', callManagerParameters);
  for (const name of [TLS_REF, DOWN_REF]) {
    const res = await api.delete(`/api/v1/srst-references/${name}`);
    expect([204, 404], await res.text()).toContain(res.status());
  }
  await api.dispose();
});

/** A TLS listener on loopback with a fresh self-signed certificate: the SRST gateway. */
test.beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ccmadmin-srst-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '365',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    '-subj', `/O=Branch Office/CN=${GATEWAY_CN}`,
  ], { stdio: 'ignore' });
  gateway = tls.createServer({
    key: readFileSync(path.join(dir, 'key.pem')),
    cert: readFileSync(path.join(dir, 'cert.pem')),
  }, (socket) => socket.end());
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  gatewayPort = (gateway.address() as net.AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise((resolve) => gateway.close(resolve));
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const admin: (page: Page) => Promise<void> = asAdmin;

async function addReference(page: Page, name: string, port: number) {
  await openHydrated(page, '/add-srst');
  await page.getByLabel('SRST Reference Name').fill(name);
  await page.getByLabel('IP Address', { exact: true }).fill('127.0.0.1');
  await page.getByLabel('SRST Certificate Provider Port').fill(String(port));
  await page.getByLabel('Is SRST Secure?').check();
  await page.getByRole('button', { name: 'Insert' }).click();
  await expect(page).toHaveURL(new RegExp(`/srst/${name}$`));
}

test('an SRST reference stores the gateway certificate; a closed port keeps the record and shows the error', async ({ page }) => {
  const problems = watchConsole(page);
  await admin(page);
  await addReference(page, TLS_REF, gatewayPort);
  await expect(page.getByTestId('srst-status')).toHaveText('Secure');
  await expect(page.getByTestId('cert-subject')).toContainText(GATEWAY_CN);
  await expect(page.getByTestId('cert-fingerprint')).toHaveText(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  await page.screenshot({ path: 'test-results/srst-certificate.png', fullPage: true });

  const closed = await closedPort();
  await addReference(page, DOWN_REF, closed);
  await expect(page.getByTestId('srst-status')).toHaveText('Secure, no certificate');
  await expect(page.getByTestId('cert-error')).toContainText(`127.0.0.1:${closed}`);
  await expect(page.getByLabel('Is SRST Secure?')).toBeChecked();
  await page.screenshot({ path: 'test-results/srst-no-certificate.png', fullPage: true });

  await openHydrated(page, '/srst?certificate=missing');
  const rows = page.getByTestId('srst-references').locator('tbody tr');
  await expect(rows.filter({ hasText: DOWN_REF })).toHaveCount(1);
  await expect(rows.filter({ hasText: TLS_REF })).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('bad input names the field and saves nothing', async ({ page }) => {
  await admin(page);
  await openHydrated(page, '/add-srst');
  await page.getByLabel('SRST Reference Name').fill(TLS_REF);
  await page.getByLabel('IP Address', { exact: true }).fill('10.1.1.300');
  await expect(page.locator('#srst-ip-error')).toContainText('IP Address');
  await page.getByLabel('IP Address', { exact: true }).fill('10.1.1.30');
  await page.getByLabel('Port', { exact: true }).fill('70000');
  await expect(page.locator('#srst-port-error')).toContainText('from 1 to 65535');
  await page.getByLabel('Port', { exact: true }).fill('2000');
  await page.getByRole('button', { name: 'Insert' }).click();
  // The duplicate name is refused by the server, next to its field.
  await expect(page.locator('#srst-name-error')).toContainText('already exists');
  await expect(page).toHaveURL(/\/add-srst$/);

  await openHydrated(page, '/enterprise-parameters');
  const days = page.getByLabel('CAPF Operation Expires in (days)');
  await days.fill('-1');
  await expect(page.locator('#p-CapfOperationExpiresDays-error')).toContainText('from 1 to 365');
  await page.getByRole('button', { name: 'Update', exact: true }).click();
  await page.reload();
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1);
  await expect(page.getByLabel('CAPF Operation Expires in (days)')).toHaveValue('10');
  expect((await enterpriseParameters(api)).get('CapfOperationExpiresDays')).toBe('10');
});

test('secure SRST phones appear only once the cluster is Mixed (R9)', async ({ page }) => {
  await admin(page);
  await openHydrated(page, `/srst/${pool.srst}`);
  await page.getByLabel('SRST Certificate Provider Port').fill(String(gatewayPort));
  await page.getByLabel('IP Address', { exact: true }).fill('127.0.0.1');
  await page.getByLabel('Is SRST Secure?').check();
  await page.getByRole('button', { name: 'Update', exact: true }).click();
  await expect(page.getByTestId('save-result')).toContainText('Reset the devices whose device pool uses SRST reference');
  await expect(page.getByTestId('srst-status')).toHaveText('Secure');

  await openHydrated(page, '/phones?secure_srst=yes');
  await expect(page.getByTestId('phones').locator('caption')).toHaveText('0 matching phones');

  // Security > CTL: the cluster goes Mixed (the console's own operation, R18 satisfied first).
  await runCtl(api, 'Mixed');
  const caption = page.getByTestId('phones').locator('caption');
  await expect(async () => {
    await openHydrated(page, '/phones?secure_srst=yes');
    await expect(caption).not.toHaveText('0 matching phones', { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  const pools_seen = await page.getByTestId('phones').locator('tbody tr td:nth-child(6)').allTextContents();
  expect(pools_seen.length).toBeGreaterThan(0);
  for (const p of pools_seen) expect(p).toBe(pool.name);
  await page.screenshot({ path: 'test-results/phones-secure-srst.png', fullPage: true });

  await page.getByTestId('phones').locator('tbody tr a').first().click();
  await expect(page.getByTestId('secure-srst')).toHaveText('Yes');
  await expect(page.getByTestId('secure-srst-reason')).toContainText('R9');
});

test('updating Built In Bridge Enable and Device Security Mode shows the R5 message', async ({ page }) => {
  const problems = watchConsole(page);
  await admin(page);
  await openHydrated(page, '/service-parameters?server=CM-PUB&service=callmanager');
  await page.getByLabel('Built In Bridge Enable').selectOption('On');
  await page.getByRole('button', { name: 'Update', exact: true }).click();
  await expect(page.getByTestId('saved-warning')).toContainText('barge');
  await page.screenshot({ path: 'test-results/service-parameters.png', fullPage: true });
  await page.getByRole('button', { name: 'Set to Default (Built In Bridge Enable)' }).click();
  await expect(page.getByLabel('Built In Bridge Enable')).toHaveValue('Off');

  await openHydrated(page, '/enterprise-parameters');
  await expect(page.getByTestId('cluster-security-mode')).toContainText('Mixed');
  await page.getByLabel('Device Security Mode').selectOption('authenticated');
  await page.getByRole('button', { name: 'Update', exact: true }).click();
  await expect(page.getByTestId('saved-warning')).toContainText('barge');
  await expect(page.getByTestId('save-result')).toContainText('Reset the devices set to Use System Default');
  await page.screenshot({ path: 'test-results/enterprise-parameters.png', fullPage: true });
  await page.getByRole('button', { name: 'Set to Default (Device Security Mode)' }).click();
  await expect(page.getByLabel('Device Security Mode')).toHaveValue('non_secure');
  expect(problems).toEqual([]);
});

test('the dashboard numbers match the store', async ({ page }) => {
  const problems = watchConsole(page);
  await admin(page);
  await openHydrated(page, '/');
  // The store's figures, as the console's Find and List Phones counts them (every device).
  const count = async (query: string) =>
    String((await body(page.request.get(`/api/v1/phones?per_page=1${query}`))).total);
  const devices = await count('');
  await expect(page.getByTestId('dash-devices')).toHaveText(devices);
  await expect(page.getByTestId('dash-cluster-mode')).toHaveText('Mixed');
  // Configured, with Use System Default resolved to the enterprise parameter (Non Secure now).
  const configured: Record<string, string> = {};
  for (const mode of ['non_secure', 'use_system_default', 'authenticated', 'encrypted']) {
    configured[mode] = await count(`&configured=${mode}`);
  }
  expect(
    ['non_secure', 'use_system_default', 'authenticated', 'encrypted'].reduce((n, m) => n + Number(configured[m]), 0),
    'every device has one of the four configured modes',
  ).toBe(Number(devices));
  const expected: Record<string, number> = {
    non_secure: Number(configured.non_secure ?? 0) + Number(configured.use_system_default ?? 0),
    authenticated: Number(configured.authenticated ?? 0),
    encrypted: Number(configured.encrypted ?? 0),
  };
  for (const mode of ['non_secure', 'authenticated', 'encrypted']) {
    const row = page.getByTestId('dash-modes').locator(`tr[data-mode="${mode}"]`);
    await expect(row.locator('td.configured')).toHaveText(String(expected[mode]));
    const api = await (await page.request.get(`/api/v1/phones?effective=${mode}&per_page=1`)).json();
    await expect(row.locator('td.effective')).toHaveText(String(api.total));
  }
  const r5 = await (await page.request.get('/api/v1/phones?finding=r5&per_page=1')).json();
  await expect(page.getByTestId('dash-findings').locator('tr[data-rule="R5"] td').nth(2)).toHaveText(String(r5.total));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: 'test-results/dashboard-1280.png', fullPage: true });
  await page.setViewportSize({ width: 768, height: 1024 });
  await page.screenshot({ path: 'test-results/dashboard-tablet.png', fullPage: true });
  await page.getByTestId('dash-findings').locator('tr[data-rule="R5"] a').click();
  await expect(page).toHaveURL(/finding=r5/);
  await expect(page.getByTestId('phones').locator('caption')).toHaveText(`${r5.total} matching phones`);
  expect(problems).toEqual([]);
});

test('servers list their registered devices; service activation is kept', async ({ page }) => {
  await admin(page);
  await openHydrated(page, '/servers');
  const row = page.getByTestId('servers').locator('tbody tr').filter({ hasText: 'CM-SUB1' });
  const count = await row.locator('td.number').textContent();
  await page.screenshot({ path: 'test-results/servers.png', fullPage: true });
  await row.locator('td.number a').click();
  await expect(page).toHaveURL(/server=CM-SUB1/);
  await expect(page.getByTestId('phones').locator('caption')).toHaveText(`${count} matching phones`);

  await openHydrated(page, '/servers/CM-SUB1');
  await page.getByLabel('Auto-registration Enabled').check();
  await page.getByRole('button', { name: 'Update', exact: true }).click();
  await expect(page.locator('.field-error')).toContainText('R2');

  await openHydrated(page, '/service-activation');
  const ctl = page.locator('table[data-server="CM-SUB1"] tr[data-service="ctl-provider"] input');
  await expect(ctl).not.toBeChecked();
  await ctl.check();
  await expect(page.locator('table[data-server="CM-SUB1"] tr[data-service="ctl-provider"]')).toContainText('Activated');
  await page.reload();
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1);
  await expect(ctl).toBeChecked();
  await expect(page.locator('table[data-server="CM-SUB1"] tr[data-service="capf"] input')).toBeDisabled();
  await page.screenshot({ path: 'test-results/service-activation.png', fullPage: true });
});
