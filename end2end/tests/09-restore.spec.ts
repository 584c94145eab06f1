import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { adminApi, body } from './api';
import { binary, EMPTY_URL, emptyEnv, startEmptyServer } from './empty-server';
import { logIn, NEW_PASSWORD, NO_LOGIN, openHydrated, runState } from './state';

// R16 after a data-only restore, on a server of its own: a backup of global setup's demo console
// (taken through its API) is restored with `ccmadmin restore --data-only` onto a fresh install,
// which keeps its own keys; Security > CTL then offers only the CTL update in the current mode.
// Its browser starts without the shared login (a cookie of 127.0.0.1 goes to every port).
test.use({ baseURL: EMPTY_URL, storageState: NO_LOGIN });

const PASSPHRASE = 'a passphrase kept apart';

test('R16: after a data-only restore the CTL page offers only Update CTL File, never the mode', async ({ page }) => {
  test.setTimeout(180_000);
  const api = await adminApi();
  const taken = await body(api.post('/api/v1/backups', { data: { passphrase: PASSPHRASE } }));
  await api.dispose();
  const archive = path.join(runState().dataDir, 'backups', taken.name);

  // A fresh install with keys of its own, stopped, then restored data-only.
  const store = process.env.CCMADMIN_E2E_RESTORE_DATABASE_URL;
  let server = await startEmptyServer(undefined, store);
  const dataDir = server.dataDir;
  await server.stop();
  const pass = path.join(dataDir, '..', `${path.basename(dataDir)}.pass`);
  writeFileSync(pass, `${PASSPHRASE}\n`, { mode: 0o600 });
  const said = execFileSync(binary(), ['restore', archive, '--data-only', '--passphrase-file', pass], {
    env: emptyEnv(dataDir, store),
    encoding: 'utf8',
  });
  expect(said).toContain('required: Update the CTL file');
  expect(said).toContain('required: Reset all devices');

  server = await startEmptyServer(dataDir, store);
  try {
    // The restored store's users: CCMAdministrator with the password of the demo console.
    await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
    await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
    await openHydrated(page, '/ctl');
    await expect(page.getByTestId('r16-warning')).toContainText('R16');
    await expect(page.getByLabel('Mixed')).toBeDisabled();
    await expect(page.getByLabel('Non Secure')).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Update CTL File' })).toBeVisible();
    await page.screenshot({ path: 'test-results/ctl-after-restore.png', fullPage: true });
  } finally {
    await server.stop();
  }
});
