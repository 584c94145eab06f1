import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';

/** What global setup recorded: the one-time password of CCMAdministrator, the data dir, and the
 * address of the TFTP server. */
export function runState(): { password: string; dataDir: string; tftp: string } {
  return JSON.parse(readFileSync(path.join(__dirname, '..', '.run', 'state.json'), 'utf8'));
}

/** The password CCMAdministrator chooses at first login. */
export const NEW_PASSWORD = 'correct horse battery staple';

/** Opens `url` and waits until the WASM has hydrated the page. */
export async function openHydrated(page: Page, url: string) {
  await page.goto(url);
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1);
}

/** Logs in through the login page. */
export async function logIn(page: Page, user: string, password: string) {
  await openHydrated(page, '/login');
  await page.getByLabel('User ID').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log In' }).click();
}

/** Fails the test on any console error or failed request of the page. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return problems;
}
