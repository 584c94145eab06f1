import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { activations, adminApi, body, clusterMode, restoreActivations, setActivation, settlePendingActions } from './api';
import { asAdmin, openHydrated } from './state';

// Security > Certificates and CTL: a security token kept offline. SAST2 is exported as a token
// file, its key removed from the server (after a wrong passphrase is refused), and the CTL is
// then signed by SAST2 only with its file. At the end SAST2 has a key on the server again (it is
// regenerated), the CTL lists both tokens and is signed by SAST1, the mode and Cisco CTL
// Provider's activations are as they were, and the actions the CTL operations asked for are done.

const TOKEN_PASSPHRASE = 'a token passphrase kept apart';

test('a token exported and taken off the server signs the CTL only with its token file', async ({ page }) => {
  test.setTimeout(120_000);
  const api = await adminApi();
  const providers = await activations(api, 'CtlProvider');
  const mode = await clusterMode(api);
  page.on('dialog', (dialog) => dialog.accept());
  let tokenText: string | undefined;
  try {
    for (const [server, activated] of providers) {
      if (!activated) await setActivation(api, server, 'CtlProvider', true);
    }
    await expect
      .poll(async () => (await body(api.get('/api/v1/ctl'))).ctl_provider_missing, { timeout: 30_000 })
      .toEqual([]);
    // A CTL listing both tokens, as the phones would hold it.
    await body(api.post('/api/v1/ctl', { data: { mode, tokens: ['SAST1', 'SAST2'] } }));

    await asAdmin(page);
    await openHydrated(page, '/certificates');
    const card = page.getByTestId('token-SAST2');
    await expect(card.getByTestId('token-key')).toContainText('on this server');
    await card.getByLabel('Export Passphrase', { exact: true }).fill(TOKEN_PASSPHRASE);
    await card.getByLabel('Export Passphrase Again', { exact: true }).fill(`${TOKEN_PASSPHRASE}!`);
    await card.getByRole('button', { name: 'Export SAST2' }).click();
    await expect(card.locator('.error-box')).toContainText('Export Passphrase Again: differs from the passphrase');
    await card.getByLabel('Export Passphrase Again', { exact: true }).fill(TOKEN_PASSPHRASE);
    await card.getByRole('button', { name: 'Export SAST2' }).click();
    const save = card.getByRole('link', { name: 'Save SAST2.token' });
    const [download] = await Promise.all([page.waitForEvent('download'), save.click()]);
    expect(download.suggestedFilename()).toBe('SAST2.token');
    const tokenFile = await download.path();
    tokenText = readFileSync(tokenFile, 'utf8');
    expect(tokenText).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);

    // The key stays while the file does not open.
    await card.getByLabel('Token File', { exact: true }).setInputFiles(tokenFile);
    await card.getByLabel('Token File Passphrase', { exact: true }).fill('not the passphrase at all');
    await card.getByRole('button', { name: 'Remove Key of SAST2' }).click();
    await expect(card.locator('.error-box')).toContainText('Passphrase: does not open this token file');
    await card.getByLabel('Token File Passphrase', { exact: true }).fill(TOKEN_PASSPHRASE);
    await card.getByRole('button', { name: 'Remove Key of SAST2' }).click();
    await expect(page.getByTestId('token-SAST2').getByTestId('token-key')).toContainText('offline since');
    const row = page.getByTestId('certificates').locator('tbody tr').filter({ hasText: 'SAST2' }).first();
    await expect(row.getByTestId('key-location')).toContainText('Offline since');
    await page.screenshot({ path: 'test-results/offline-tokens.png', fullPage: true });

    // The CTL signed by SAST2 alone: its file asked for, refused without it, done with it.
    await openHydrated(page, '/ctl');
    await page.getByRole('checkbox', { name: 'SAST1' }).uncheck();
    await expect(page.getByTestId('token-file')).toContainText('Token file of SAST2');
    await page.getByRole('button', { name: 'Build and Sign the CTL File' }).click();
    await expect(page.locator('.error-box')).toContainText("Choose the signing token's file first");
    await page.getByLabel('Token File', { exact: true }).setInputFiles(tokenFile);
    await page.getByLabel('Token Passphrase', { exact: true }).fill(TOKEN_PASSPHRASE);
    await page.screenshot({ path: 'test-results/ctl-offline-token.png', fullPage: true });
    await page.getByRole('button', { name: 'Build and Sign the CTL File' }).click();
    await expect(page.getByTestId('ctl-result')).toContainText('CTL file built');
    const status = await body(api.get('/api/v1/ctl'));
    expect(status.signer).toMatch(/^CN=SAST2,/);
    expect(status.offline_tokens).toEqual(['SAST2']);
  } finally {
    // The CTL lists both tokens again (signed by SAST2 with its file, while it is the only token
    // listed), SAST2 gets a key on the server again, and SAST1 signs the last CTL.
    const certificates: any[] = await body(api.get('/api/v1/certificates'));
    const sast2 = certificates.find((c) => c.role === 'Sast' && c.name === 'SAST2');
    if (sast2?.key_offline_at) {
      if (tokenText) {
        await body(api.post('/api/v1/ctl', {
          data: { mode, tokens: ['SAST2', 'SAST1'], token_file: { file: tokenText, passphrase: TOKEN_PASSPHRASE } },
        }));
      }
      await body(api.post(`/api/v1/certificates/${sast2.id}/regenerate`, { data: { version: sast2.version } }));
    }
    await body(api.post('/api/v1/ctl', { data: { mode, tokens: ['SAST1', 'SAST2'], confirm_new_signer: !tokenText } }));
    await restoreActivations(api, 'CtlProvider', providers);
    await settlePendingActions(api);
    await api.dispose();
  }
});
