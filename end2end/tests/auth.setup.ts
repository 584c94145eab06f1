import { expect, request, test } from '@playwright/test';
import { ADMIN_STATE, BASE_URL, logIn, NEW_PASSWORD, NO_LOGIN, runState, watchConsole } from './state';

// The setup project (playwright.config.ts): runs before any spec, also when one spec file runs
// alone. It consumes the one-time password that global setup recorded, and saves the login of
// CCMAdministrator that the specs start from (ADMIN_STATE). Specs make the other users they need.
test.describe.configure({ mode: 'serial' });
test.use({ storageState: NO_LOGIN });

test('first login with the generated password forces a change, then shows the home page', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);

  await logIn(page, 'CCMAdministrator', runState().password);
  await expect(page).toHaveURL(/\/change-password$/);
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1);

  // The length rule is checked in the browser as the user types.
  await page.getByLabel('New Password').fill('short');
  await expect(page.locator('#new-password-hint')).toContainText('at least 12 characters');
  // Other pages stay closed until the password is changed.
  const home = await page.request.get('/');
  expect(home.url()).toMatch(/\/change-password$/);

  await page.getByLabel('Current Password').fill(runState().password);
  await page.getByLabel('New Password').fill(NEW_PASSWORD);
  await expect(page.locator('#new-password-hint')).toContainText('long enough');
  await page.getByLabel('Confirm Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save' }).click();

  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
  await expect(page.getByTestId('home-user')).toHaveText('CCMAdministrator');
  await expect(page.getByTestId('cluster-name')).toHaveText('StandAloneCluster');
  await expect(page.getByTestId('version')).not.toBeEmpty();
  await page.screenshot({ path: 'test-results/home.png', fullPage: true });
  expect(problems).toEqual([]);
});

test('save the login of CCMAdministrator that the specs share', async () => {
  // A session of its own, that no page of this file ever used (nor will log out).
  const api = await request.newContext({ baseURL: BASE_URL, ignoreHTTPSErrors: true, storageState: NO_LOGIN });
  const login = await api.post('/api/v1/login', { data: { username: 'CCMAdministrator', password: NEW_PASSWORD } });
  expect(login.status(), await login.text()).toBe(200);
  const me = await api.get('/api/v1/me');
  expect(me.status()).toBe(200);
  expect((await me.json()).must_change_password ?? false).toBe(false);
  const state = await api.storageState({ path: ADMIN_STATE });
  expect(state.cookies.find((c) => c.name.startsWith('__Host-')), 'session cookie').toBeTruthy();
  await api.dispose();
});
