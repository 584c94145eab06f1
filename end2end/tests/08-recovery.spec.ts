import { expect, test } from '@playwright/test';
import { adminApi, body } from './api';
import { asAdmin, openHydrated, watchConsole } from './state';

// Serviceability > Disaster Recovery on the running console: Backup Now while it serves, the
// new backup in the list, checked with a wrong passphrase and the right one. Each test takes its
// own backup; the backups stay in the data dir of the run.

const PASSPHRASE = 'a passphrase kept apart';

test('Backup Now shows its progress, lists the new backup and checks it with its passphrase', async ({ page }) => {
  await asAdmin(page);
  await openHydrated(page, '/disaster-recovery');
  const problems = watchConsole(page);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirm Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Backup Now' }).click();
  const done = page.getByTestId('backup-done');
  await expect(done).toContainText('.age written');
  const name = (await done.textContent())!.match(/ccmadmin-[0-9-]+-[0-9a-f]{4}\.age/)![0];
  // The form forgets the passphrase once the backup is written.
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveValue('');
  const row = page.getByTestId('backups').locator('tbody tr').filter({ hasText: name });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('CCMAdministrator');
  await page.screenshot({ path: 'test-results/disaster-recovery.png', fullPage: true });
  // Up to here nothing was refused: the page logged no error (a refusal below answers 422, which
  // the browser logs as a failed resource).
  expect(problems).toEqual([]);

  await row.getByLabel(`Passphrase of ${name}`).fill('not the passphrase');
  await row.getByRole('button', { name: 'Check' }).click();
  await expect(page.locator('.error-box')).toContainText('Passphrase: does not open this backup');
  await row.getByLabel(`Passphrase of ${name}`).fill(PASSPHRASE);
  await row.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('check-done')).toContainText(`${name}:`);
  await expect(page.getByTestId('check-done')).toContainText('every hash matches');
  await expect(row.getByRole('link', { name: `Download ${name}` })).toHaveAttribute('href', `/api/v1/backups/${name}`);
});

test('a short passphrase or a confirmation that differs is refused, naming the field', async ({ page }) => {
  await asAdmin(page);
  await openHydrated(page, '/disaster-recovery');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirm Passphrase', { exact: true }).fill(`${PASSPHRASE}!`);
  await page.getByRole('button', { name: 'Backup Now' }).click();
  await expect(page.locator('.error-box')).toContainText('Confirm Passphrase: differs from the passphrase');
  const api = await adminApi();
  const refused = await body(api.post('/api/v1/backups', { data: { passphrase: 'short' } }), 422);
  expect(JSON.stringify(refused)).toContain('at least 12 characters');
  await api.dispose();
});

test('a backup scheduled for this minute is taken on time and listed, then the schedule is switched off', async ({ page }) => {
  // The slot is the minute typed: not across a minute's turn.
  if (new Date().getUTCSeconds() > 45) await page.waitForTimeout((61 - new Date().getUTCSeconds()) * 1000);
  const now = new Date();
  const minute = `${String(now.getUTCHours()).padStart(2, '0')}:${String(now.getUTCMinutes()).padStart(2, '0')}`;
  await asAdmin(page);
  await openHydrated(page, '/disaster-recovery');
  await page.getByLabel('Take backups on schedule').check();
  await page.getByLabel('Frequency').selectOption('daily');
  await page.getByLabel('Time (UTC)').fill(minute);
  await page.getByLabel('Keep the last').fill('3');
  await page.getByLabel("Scheduled backups' passphrase", { exact: true }).fill(PASSPHRASE);
  await page.getByLabel("Confirm scheduled backups' passphrase", { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Save Schedule' }).click();
  await expect(page.getByTestId('schedule-state')).toContainText('On: the next backup is taken at');
  // The console's own worker takes it within seconds.
  await expect(async () => {
    await openHydrated(page, '/disaster-recovery');
    await expect(page.getByTestId('schedule-last')).toContainText('was written: ccmadmin-scheduled-', { timeout: 1000 });
  }).toPass({ timeout: 40_000 });
  const row = page.getByTestId('backups').locator('tbody tr').filter({ hasText: 'scheduled backup' });
  await expect(row.first()).toContainText('ccmadmin-scheduled-');

  await page.getByLabel('Take backups on schedule').uncheck();
  await page.getByRole('button', { name: 'Save Schedule' }).click();
  await expect(page.getByTestId('schedule-state')).toContainText('Off');
});
