import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';

/** The address of the console that global setup started (the demo cluster). */
export const BASE_URL = `https://127.0.0.1:${process.env.CCMADMIN_E2E_PORT ?? '18443'}`;

/** Where global setup and the setup project leave what the specs read. */
export const RUN_DIR = path.join(__dirname, '..', '.run');

/**
 * The login of CCMAdministrator that the setup project saved (tests/auth.setup.ts): the default
 * `storageState` of the desktop project. Every spec shares this one session, so none may end it:
 * no logout, no login (a login gives the session of the cookie it carries a new id, which leaves
 * the saved cookie worthless), no password change or End Sessions of CCMAdministrator in a
 * context that carries it. Tests that do such things use a fresh context ([`freshContext`]).
 */
export const ADMIN_STATE = path.join(RUN_DIR, 'admin.json');

/** No cookies: a browser that has not logged in. */
export const NO_LOGIN = { cookies: [], origins: [] };

/** What global setup recorded: the one-time password of CCMAdministrator, the data dir, and the
 * address of the TFTP server. */
export function runState(): {
  password: string;
  dataDir: string;
  tftp: string;
  capf: string;
  sipTls: string;
  sipUdp: string;
} {
  return JSON.parse(readFileSync(path.join(RUN_DIR, 'state.json'), 'utf8'));
}

/** The password CCMAdministrator chooses at first login. */
export const NEW_PASSWORD = 'correct horse battery staple';

/** A name no other run or spec uses: `prefix` and a suffix from the clock and a random number
 * (letters and digits only, valid in user IDs, group, token and SRST reference names). */
export function unique(prefix: string): string {
  const random = Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0');
  return `${prefix}${Date.now().toString(36)}${random}`;
}

/** A browser context that has not logged in (the desktop project's default is the admin login). */
export async function freshContext(browser: Browser, baseURL: string = BASE_URL): Promise<BrowserContext> {
  return browser.newContext({ storageState: NO_LOGIN, ignoreHTTPSErrors: true, baseURL });
}

/** Opens `url` and waits until the WASM has hydrated the page. */
export async function openHydrated(page: Page, url: string) {
  await page.goto(url);
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1);
}

/** Logs in through the login page (in a context that is not logged in). */
export async function logIn(page: Page, user: string, password: string) {
  await openHydrated(page, '/login');
  await page.getByLabel('User ID').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log In' }).click();
}

/** The first login of CCMAdministrator on a fresh install with its one-time `password`, then the
 * forced change to NEW_PASSWORD; ends on the home page. */
export async function firstLogin(page: Page, password: string) {
  await logIn(page, 'CCMAdministrator', password);
  await expect(page).toHaveURL(/\/change-password$/);
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1);
  await page.getByLabel('Current Password').fill(password);
  await page.getByLabel('New Password').fill(NEW_PASSWORD);
  await page.getByLabel('Confirm Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/$/);
}

/** The page of a context with the saved admin login: opens the home page and checks who it is. */
export async function asAdmin(page: Page) {
  await openHydrated(page, '/');
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
}

/**
 * The status message of the page's last action. The pending-actions banner has the role too, and
 * shows on every page while actions are pending (other specs may have left some): not that one.
 */
export function statusMessage(page: Page): Locator {
  return page.getByRole('status').and(page.locator(':not([data-testid="pending-banner"])'));
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
