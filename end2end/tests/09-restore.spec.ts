import path from 'node:path';
import { expect, test } from '@playwright/test';
import { adminApi, body } from './api';
import { EMPTY_URL, startEmptyServer } from './empty-server';
import { firstLogin, logIn, NEW_PASSWORD, NO_LOGIN, openHydrated, runState } from './state';

// A restore made on the Disaster Recovery page of a server of its own: a backup of global
// setup's demo console (taken through its API) is uploaded to a fresh install, refused for a
// wrong passphrase with the message on the page, then restored data-only. The console answers
// 503 while it restores, restarts into the backup, and Security > CTL then offers only the CTL
// update in the current mode (R16). Its browser starts without the shared login (a cookie of
// 127.0.0.1 goes to every port).
test.use({ baseURL: EMPTY_URL, storageState: NO_LOGIN });

const PASSPHRASE = 'a passphrase kept apart';

test('R16: a backup uploaded and restored data-only from the page; then the CTL page offers only Update CTL File', async ({ page }) => {
  test.setTimeout(180_000);
  const api = await adminApi();
  const taken = await body(api.post('/api/v1/backups', { data: { passphrase: PASSPHRASE } }));
  await api.dispose();
  const archive = path.join(runState().dataDir, 'backups', taken.name);

  // A fresh install: its first login and the forced password change.
  const server = await startEmptyServer(undefined, process.env.CCMADMIN_E2E_RESTORE_DATABASE_URL);
  page.on('dialog', (dialog) => dialog.accept());
  try {
    await firstLogin(page, server.password);

    await openHydrated(page, '/disaster-recovery');
    await page.getByLabel('Backup File').setInputFiles(archive);
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect(page.getByTestId('upload-done')).toContainText('ccmadmin-uploaded-');
    await expect(page.getByLabel('Backup', { exact: true })).toHaveValue(/^ccmadmin-uploaded-/);

    // A wrong passphrase: refused on the page, nothing changed.
    await page.getByLabel('Passphrase of the Backup').fill('not the passphrase at all');
    await page.getByLabel(/^Data only/).check();
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await expect(page.locator('.error-box')).toContainText('Passphrase: does not open this backup');
    await page.screenshot({ path: 'test-results/restore-refused.png', fullPage: true });
    await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');

    await page.getByLabel('Passphrase of the Backup').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    const started = page.getByTestId('restore-started');
    await expect(started).toContainText('is whole and opens with its passphrase');
    await expect(started).toContainText('Required: Update the CTL file');

    // The console restarts into the backup: the login page answers again (while it restarts, the
    // connection is refused).
    await expect
      .poll(async () => page.request.get('/login').then((r) => r.status(), () => 0), { timeout: 60_000 })
      .toBe(200);
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
