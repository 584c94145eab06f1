import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { activations, adminApi, clusterMode, restoreActivations, runCtl } from './api';
import { asAdmin, openHydrated, watchConsole } from './state';

// Security > CTL, TFTP Files and Certificates on the demo cluster of global setup (Non-Secure,
// Cisco CTL Provider not activated everywhere). At the end the cluster is Non-Secure and Service
// Activation of Cisco CTL Provider as it was, whatever failed on the way.
test.describe.configure({ mode: 'serial' });

const BIN = process.env.CCMADMIN_BIN ?? path.resolve(__dirname, '../../target/debug/ccmadmin');

let api: APIRequestContext;
let ctlProviders: Map<string, boolean>;

test.beforeAll(async () => {
  api = await adminApi();
  expect(await clusterMode(api)).toBe('NonSecure');
  ctlProviders = await activations(api, 'CtlProvider');
});

test.afterAll(async () => {
  if ((await clusterMode(api)) !== 'NonSecure') await runCtl(api, 'NonSecure');
  await restoreActivations(api, 'CtlProvider', ctlProviders);
  await api.dispose();
});

const admin: (page: Page) => Promise<void> = asAdmin;

async function servers(page: Page): Promise<string[]> {
  const list = await (await page.request.get('/api/v1/servers')).json();
  return list.map((s: { fields: { name: string } }) => s.fields.name);
}

test('the CTL page refuses without Cisco CTL Provider (R18), then switches the cluster to Mixed', async ({ page }) => {
  await admin(page);
  await openHydrated(page, '/ctl');
  await expect(page.getByTestId('r18-warning')).toContainText('R18');
  await page.getByLabel('Mixed').check();
  await page.getByRole('button', { name: 'Build and Sign the CTL File' }).click();
  await expect(page.locator('.error-box')).toContainText('R18');
  // From here on, nothing is refused: the page must log no error.
  const problems = watchConsole(page);

  for (const name of await servers(page)) {
    const res = await page.request.put(`/api/v1/servers/${name}/services/ctl-provider`, { headers: { 'sec-fetch-site': 'same-origin' }, data: { activated: true } });
    expect(res.status()).toBe(200);
  }
  await openHydrated(page, '/ctl');
  await expect(page.getByTestId('r18-warning')).toHaveCount(0);
  await page.getByLabel('Mixed').check();
  await page.getByRole('button', { name: 'Build and Sign the CTL File' }).click();
  const actions = page.getByTestId('required-actions');
  await expect(actions).toContainText('Reset all devices');
  await expect(actions).toContainText('Restart Cisco CallManager');
  await expect(actions).toContainText('Restart Cisco TFTP');
  await expect(page.getByTestId('ctl-mode')).toHaveText('Mixed');
  const records = page.getByTestId('ctl-records').locator('tbody tr');
  await expect(records.filter({ hasText: 'SAST' })).toHaveCount(2);
  await expect(records.filter({ hasText: 'CallManager' })).toHaveCount((await servers(page)).length);
  await page.screenshot({ path: 'test-results/ctl.png', fullPage: true });
  expect(problems).toEqual([]);
});

test('a phone’s signed config file downloads from the TFTP Files page and verifies', async ({ page }, testInfo) => {
  await admin(page);
  await openHydrated(page, '/tftp-files?name=.cnf.xml.sgn');
  await expect(page.getByTestId('tftp-status')).toHaveText('Up to date', { timeout: 60_000 });
  const link = page.getByTestId('tftp-files').locator('tbody a', { hasText: /^SEP[0-9A-F]{12}\.cnf\.xml\.sgn$/ }).first();
  await expect(link).toBeVisible();
  await page.screenshot({ path: 'test-results/tftp-files.png', fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const saved = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(saved);
  expect(download.suggestedFilename()).toMatch(/\.cnf\.xml\.sgn$/);

  // The TFTP signing certificate, downloaded from the Certificates page, verifies it.
  await openHydrated(page, '/certificates');
  const tftpRow = page.getByTestId('certificates').locator('tr[data-role="tftp"]');
  await expect(tftpRow).toHaveCount(1);
  await page.screenshot({ path: 'test-results/certificates.png', fullPage: true });
  const [pem] = await Promise.all([page.waitForEvent('download'), tftpRow.getByRole('link', { name: /^PEM/ }).click()]);
  const certPath = testInfo.outputPath('tftp.pem');
  await pem.saveAs(certPath);
  const out = execFileSync(BIN, ['verify', saved, '--cert', certPath], { encoding: 'utf8' });
  expect(out).toContain('signature:        valid');
});

test('back to Non-Secure: the signed files go', async ({ page }) => {
  await admin(page);
  await openHydrated(page, '/ctl');
  await page.getByLabel('Non Secure').check();
  await page.getByRole('button', { name: 'Build and Sign the CTL File' }).click();
  await expect(page.getByTestId('ctl-mode')).toHaveText('Non Secure');
  await openHydrated(page, '/tftp-files?name=.sgn');
  await expect(page.getByTestId('tftp-status')).toHaveText('Up to date', { timeout: 60_000 });
  await expect(page.getByTestId('tftp-signed-count')).toHaveText('0', { timeout: 10_000 });
});
