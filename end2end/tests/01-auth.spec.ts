import { expect, test } from '@playwright/test';
import { freshContext, logIn, NEW_PASSWORD, NO_LOGIN, openHydrated, watchConsole } from './state';

// Logging in and out itself: every test starts from a browser that has not logged in, and makes
// (and ends) sessions of its own, never the shared one of the setup project. The first login with
// the one-time password, and the forced change, are the setup project's (tests/auth.setup.ts).
test.describe.configure({ mode: 'serial' });
test.use({ storageState: NO_LOGIN });

test('a page control reacts without a page load (hydration)', async ({ page }) => {
  const problems = watchConsole(page);
  await openHydrated(page, '/login');
  await page.evaluate(() => ((window as any).__samePage = true));
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toHaveAttribute('type', 'password');
  await page.getByLabel('Show password').check();
  await expect(password).toHaveAttribute('type', 'text');
  await page.getByLabel('Show password').uncheck();
  await expect(password).toHaveAttribute('type', 'password');
  expect(await page.evaluate(() => (window as any).__samePage)).toBe(true);
  expect(problems).toEqual([]);
});

test('a wrong password shows an error that does not say whether the user exists', async ({ page }) => {
  await logIn(page, 'CCMAdministrator', 'not the password at all');
  await expect(page.getByRole('button', { name: 'Log In' })).toBeEnabled();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Invalid user ID or password.');
  const forExisting = await alert.textContent();
  await expect(page).toHaveURL(/\/login$/);

  await page.getByLabel('User ID').fill('nobody-by-this-name');
  await page.getByLabel('Password', { exact: true }).fill('not the password at all');
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page.getByRole('button', { name: 'Log In' })).toBeEnabled();
  await expect(alert).toHaveText(forExisting!);
  await page.screenshot({ path: 'test-results/login-error.png' });
});

test('logout returns to the login page and the old cookie is refused afterwards', async ({ browser, page, context }) => {
  await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name.startsWith('__Host-'));
  expect(session, 'session cookie').toBeTruthy();
  expect(session!.secure).toBe(true);
  expect(session!.httpOnly).toBe(true);
  expect(session!.sameSite).toBe('Strict');
  expect((await page.request.get('/api/v1/me')).status()).toBe(200);

  await page.getByRole('button', { name: 'Log Out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  // A browser that kept the old cookie gets nothing with it.
  const replay = await freshContext(browser);
  await replay.addCookies(cookies);
  expect((await replay.request.get('/api/v1/me')).status()).toBe(401);
  const old = await replay.newPage();
  await old.goto('/');
  await expect(old).toHaveURL(/\/login$/);
  await replay.close();
});

test('an unknown address shows the 404 page', async ({ page }) => {
  await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
  const response = await page.goto('/no-such-page');
  expect(response!.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page Not Found' })).toBeVisible();
});

test('the shell fits a tablet screen without sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 768, height: 1024 });
  await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
  await expect(page.getByRole('navigation', { name: 'Main menu' })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.getByRole('button', { name: 'User' }).focus();
  await expect(page.getByRole('link', { name: 'Change Password' })).toBeVisible();
  await page.screenshot({ path: 'test-results/home-tablet.png', fullPage: true });
});
