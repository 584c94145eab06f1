import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import {
  activations,
  adminApi,
  body,
  clusterMode,
  phoneFields,
  publisher,
  restoreActivations,
  restorePhone,
  runCtl,
  setActivation,
} from './api';
import { asAdmin, openHydrated, runState, watchConsole } from './state';

// Certificate Authority Proxy Function (issue 17): a manufacturer CA uploaded and removed on
// Security > Certificates; an Install/Upgrade scheduled on Phone Configuration whose status goes
// from pending to success once a simulated phone (phone-sim) is reset, enrols over the real CAPF
// protocol and registers over TLS with its LSC; Find and List's LSC column and filter. The
// cluster is made Mixed and CAPF activated on the publisher for it; at the end the mode, the
// activations and the phone's fields are as they were (the phone keeps the LSC it now holds, as
// a real one would).
test.describe.configure({ mode: 'serial' });

let api: APIRequestContext;
let pub: string;
let modeBefore: string;
let capfActivations: Map<string, boolean>;
let sim: ChildProcess | undefined;
const edited = new Map<string, Record<string, unknown>>();

test.beforeAll(async () => {
  api = await adminApi();
  pub = await publisher(api);
  modeBefore = await clusterMode(api);
  capfActivations = await activations(api, 'Capf');
});

test.afterAll(async () => {
  sim?.kill('SIGTERM');
  for (const [name, fields] of edited) {
    await restorePhone(api, name, fields);
    // The simulated phone is gone: its contact goes too, so later resets do not wait for it.
    const contact = await body(api.get(`/api/v1/phones/${name}/contact`));
    if (contact) {
      await body(api.put(`/api/v1/phones/${name}/contact`, { data: { address: '', port: 0, version: contact.version } }));
    }
  }
  await restoreActivations(api, 'Capf', capfActivations);
  if ((await clusterMode(api)) !== modeBefore) await runCtl(api, modeBefore as 'Mixed' | 'NonSecure');
  await api.dispose();
});

function acceptDialogs(page: Page) {
  page.on('dialog', (d) => d.accept());
}

/** A new self-signed CA certificate (PEM file), as a phone maker would publish. */
function makerCa(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ccmadmin-e2e-maker-'));
  const cert = path.join(dir, 'maker-ca.pem');
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650',
    '-subj', '/O=E2E Phone Maker/CN=E2E Maker CA',
    '-addext', 'basicConstraints=critical,CA:true',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', path.join(dir, 'maker-ca.key'), '-out', cert,
  ], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  return cert;
}

test('a manufacturer CA is uploaded, listed with its fingerprint and removed', async ({ page }) => {
  const problems = watchConsole(page);
  acceptDialogs(page);
  await asAdmin(page);
  await openHydrated(page, '/certificates');
  const section = page.getByTestId('manufacturer-cas');
  await expect(section.getByRole('heading', { name: 'Manufacturer CAs (trusted for MICs)' })).toBeVisible();
  const cert = makerCa();
  await section.getByLabel('Manufacturer CA Certificate').setInputFiles(cert);
  await section.getByRole('button', { name: 'Upload' }).click();
  await expect(section.getByTestId('manufacturer-ca-added')).toContainText('E2E Maker CA');
  const row = section.getByTestId('manufacturer-ca-list').getByRole('row', { name: /E2E Maker CA/ });
  await expect(row).toContainText(/([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  await page.screenshot({ path: 'test-results/manufacturer-cas.png', fullPage: true });
  await row.getByRole('button', { name: /Remove/ }).click();
  await expect(section.getByTestId('manufacturer-ca-list').getByRole('row', { name: /E2E Maker CA/ })).toHaveCount(0);
  await expect(section.getByTestId('no-manufacturer-cas')).toBeVisible();
  // Up to here nothing was refused: the page logged no error.
  expect(problems).toEqual([]);
  // Not a CA: the field and the reason.
  const { dataDir } = runState();
  const notCa = path.join(dataDir, 'tls', 'cert.pem');
  await section.getByLabel('Manufacturer CA Certificate').setInputFiles(notCa);
  await section.getByRole('button', { name: 'Upload' }).click();
  await expect(section.getByRole('alert')).toContainText('Manufacturer CA Certificate: is not a certificate authority');
});

test('an Install/Upgrade goes from pending to success when the phone enrols', async ({ page }) => {
  test.setTimeout(180_000);
  const problems = watchConsole(page);
  // A Mixed cluster (the phone trusts CAPF through the CTL) with CAPF running on the publisher.
  if (modeBefore !== 'Mixed') await runCtl(api, 'Mixed');
  await setActivation(api, pub, 'Capf', true);
  await expect
    .poll(async () => {
      const services = await body(api.get('/api/v1/control-center'));
      return services.find((s: { server: string; service: string }) => s.server === pub && s.service === 'Capf')?.state;
    }, { timeout: 30_000 })
    .toBe('Started');

  const list = await body(api.get('/api/v1/phones?model=Cisco%207970&sort=name&per_page=1'));
  const name: string = list.items[0].name;
  edited.set(name, await phoneFields(api, name));
  await asAdmin(page);
  await openHydrated(page, `/phones/${name}`);
  await page.getByLabel('Device Security Mode').selectOption('Encrypted');
  await page.getByLabel('Certificate Operation').selectOption({ label: 'Install/Upgrade' });
  await page.getByLabel('Authentication Mode').selectOption({ label: 'By Null String' });
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByTestId('save-result')).toContainText(`Reset ${name} (R10)`);
  await openHydrated(page, `/phones/${name}`);
  await expect(page.getByTestId('cert-status')).toContainText('Install/Upgrade pending');
  await expect(page.getByTestId('cert-runs')).toContainText('Runs when the phone next contacts CAPF');

  // The phone: phone-sim, registered with the console, told where CAPF listens.
  const { dataDir, tftp, capf, sipTls, sipUdp } = runState();
  const bin = process.env.CCMADMIN_SIM_BIN ?? path.resolve(__dirname, '../../target/debug/phone-sim');
  sim = spawn(bin, [
    '--count', '1', '--first-mac', name.slice(3), '--tftp', tftp,
    '--console', `https://127.0.0.1:${process.env.CCMADMIN_E2E_PORT ?? '18443'}`,
    '--capf', capf, '--sip', sipUdp, '--sip-tls', sipTls,
  ], { env: { ...process.env, CCMADMIN_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  sim.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  await expect.poll(() => out, { timeout: 30_000 }).toContain('1 phones registered');

  acceptDialogs(page);
  await openHydrated(page, `/phones/${name}`);
  await page.getByRole('region', { name: 'Reset Phone' }).getByRole('button', { name: 'Reset' }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByTestId('job-status')).toHaveText('Done');
  await expect.poll(() => out, { timeout: 60_000 }).toContain('capf ended 1');
  await expect.poll(() => out, { timeout: 30_000 }).toContain('sip tls with LSC: 200');
  await openHydrated(page, `/phones/${name}`);
  await expect(page.getByTestId('cert-status')).toContainText('Install/Upgrade success');
  await expect(page.getByTestId('lsc-state')).toHaveText('Valid');
  const held = page.getByTestId('device-certificates');
  await expect(held.getByRole('row', { name: /^LSC/ })).toContainText('CAPF');
  // R13: it registered over TLS with that LSC.
  await expect(page.getByTestId('registered-over')).toContainText('TLS with LSC serial');
  await page.screenshot({ path: 'test-results/phone-lsc.png', fullPage: true });

  // Find and List: the LSC column, and the filter.
  await openHydrated(page, '/phones');
  await page.getByLabel('LSC Status').selectOption('Valid');
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page).toHaveURL(/lsc_status=Valid/);
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText('Valid');
  await page.screenshot({ path: 'test-results/phones-lsc-filter.png', fullPage: true });
  expect(readFileSync(path.join(dataDir, 'phone-sim-maker-ca.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  expect(problems).toEqual([]);
});
