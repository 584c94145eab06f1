import { expect, test, type APIRequestContext, type Browser } from '@playwright/test';
import { logIn, NEW_PASSWORD, openHydrated, watchConsole } from './state';

// Runs after 01-auth.spec.ts, which gave CCMAdministrator its password NEW_PASSWORD.
test.describe.configure({ mode: 'serial' });

const PW = 'a long enough password';

async function adminApi(browser: Browser): Promise<APIRequestContext> {
  // A script's requests carry the session cookie, so they say where they come from, as the
  // console's own pages do (a cookie without it is refused).
  const ctx = await browser.newContext({
    ignoreHTTPSErrors: true,
    baseURL: test.info().project.use.baseURL,
    extraHTTPHeaders: { 'sec-fetch-site': 'same-origin' },
  });
  const res = await ctx.request.post('/api/v1/login', { data: { username: 'CCMAdministrator', password: NEW_PASSWORD } });
  expect(res.status()).toBe(200);
  return ctx.request;
}

async function newUser(api: APIRequestContext, name: string, groups: string[]) {
  const res = await api.post('/api/v1/users', { data: { name, password: PW, groups } });
  expect(res.status(), await res.text()).toBe(201);
}

test('set up users for the access tests', async ({ browser }) => {
  const api = await adminApi(browser);
  await newUser(api, 'reader', ['ReadOnly']);
  await newUser(api, 'phoneadmin', ['PhoneAdministration']);
  await newUser(api, 'pat', ['ReadOnly', 'PhoneAdministration']);
  await newUser(api, 'victim', ['ReadOnly']);
});

test('a ReadOnly user sees the Users page with every modifying control disabled', async ({ page }) => {
  const problems = watchConsole(page);
  await logIn(page, 'reader', PW);
  await expect(page.getByTestId('current-user')).toHaveText('reader');
  await openHydrated(page, '/users');
  await expect(page.getByRole('heading', { name: 'Find and List Users' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'CCMAdministrator' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Add New User' })).toBeDisabled();
  await page.screenshot({ path: 'test-results/users-read-only.png', fullPage: true });

  await page.getByRole('link', { name: 'victim' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('victim');
  await expect(page.getByRole('note')).toContainText('Read Only');
  for (const name of ['Save', 'End Sessions', 'Delete']) {
    await expect(page.getByRole('button', { name })).toBeDisabled();
  }
  await expect(page.locator('#user-disabled')).toBeDisabled();
  await expect(page.getByLabel('New Password')).toBeDisabled();
  await page.screenshot({ path: 'test-results/user-read-only.png', fullPage: true });

  // No way around the disabled controls: the write itself is refused.
  const res = await page.request.put('/api/v1/users/victim', { headers: { 'sec-fetch-site': 'same-origin' }, data: { disabled: true } });
  expect(res.status()).toBe(403);
  const add = await page.goto('/add-user');
  expect(add!.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'Access Denied' })).toBeVisible();
  expect(problems.filter((p) => !p.includes('403'))).toEqual([]);
});

test('a PhoneAdministration user sees the Device menu but no User menu', async ({ page }) => {
  await logIn(page, 'phoneadmin', PW);
  await expect(page.getByTestId('current-user')).toHaveText('phoneadmin');
  const menu = page.getByRole('navigation', { name: 'Main menu' });
  await expect(menu.getByRole('link', { name: 'Home' })).toBeVisible();
  await expect(menu.getByRole('button', { name: 'Device' })).toBeVisible();
  await menu.getByRole('button', { name: 'Device' }).focus();
  await menu.getByRole('link', { name: 'Phone' }).click();
  await expect(page.getByRole('heading', { name: 'Find and List Phones' })).toBeVisible();
  await expect(menu.getByRole('button', { name: 'User' })).toHaveCount(0);
  const res = await page.goto('/users');
  expect(res!.status()).toBe(403);
  expect((await page.request.get('/api/v1/users')).status()).toBe(403);
});

test('the Privilege Report explains overlapping groups under Maximum and under Minimum', async ({ page, browser }) => {
  const api = await adminApi(browser);
  await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
  await openHydrated(page, '/access-rights/privilege-report');
  await page.getByLabel('User ID').fill('pat');
  await page.getByRole('button', { name: 'Show' }).click();
  const phone = page.locator('tr[data-group="Phone"]');
  await expect(phone.locator('.level')).toHaveText('Full Access');
  await expect(phone).toContainText('PhoneAdministration grants Full Access');
  await expect(phone).toContainText('highest');
  await expect(phone.locator('.other-level')).toHaveText('Read Only');
  await expect(page.getByTestId('report-summary')).toContainText('Maximum');
  await page.screenshot({ path: 'test-results/privilege-report-maximum.png', fullPage: true });

  const param = '/api/v1/enterprise-parameters/EffectiveAccessPrivilegesForOverlappingUserGroups';
  expect((await api.put(param, { data: { value: 'Minimum' } })).status()).toBe(200);
  await page.reload();
  await expect(page.getByTestId('report-summary')).toContainText('Minimum');
  await expect(phone.locator('.level')).toHaveText('Read Only');
  await expect(phone).toContainText('lowest');
  await expect(phone.locator('.other-level')).toHaveText('Full Access');
  expect((await api.put(param, { data: { value: 'Maximum' } })).status()).toBe(200);
});

test('an admin disables a user and that user is sent to login on the next request', async ({ page, browser }) => {
  const victim = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: test.info().project.use.baseURL });
  const victimPage = await victim.newPage();
  await logIn(victimPage, 'victim', PW);
  await expect(victimPage.getByTestId('current-user')).toHaveText('victim');

  await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
  await openHydrated(page, '/users/victim');
  await page.locator('#user-disabled').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('User victim saved.');

  // The victim's open page makes its next request by navigating within the app.
  await victimPage.getByRole('link', { name: 'Change Password' }).click();
  await expect(victimPage).toHaveURL(/\/login$/);
  await victim.close();
});

test('two admins editing the same user: the second save gets the conflict message', async ({ page, browser }) => {
  const other = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: test.info().project.use.baseURL });
  const otherPage = await other.newPage();
  await logIn(otherPage, 'CCMAdministrator', NEW_PASSWORD);
  await expect(otherPage.getByTestId('current-user')).toHaveText('CCMAdministrator');
  await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');

  await openHydrated(page, '/users/reader');
  await openHydrated(otherPage, '/users/reader');
  await page.locator('#user-disabled').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('saved');

  await otherPage.getByLabel('PhoneAdministration').check();
  await otherPage.getByRole('button', { name: 'Save' }).click();
  const alert = otherPage.getByRole('alert');
  await expect(alert).toContainText('was changed by CCMAdministrator');
  await expect(alert.getByRole('button', { name: 'Reload' })).toBeVisible();
  await otherPage.screenshot({ path: 'test-results/user-conflict.png', fullPage: true });
  await other.close();
});

test('assigning privileges is audited with the values before and after', async ({ page }) => {
  await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
  await openHydrated(page, '/access-rights/assign-privileges?group=ServerMonitoring');
  await page.getByLabel('Plugin').selectOption('Read Only');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Privileges of ServerMonitoring saved.');
  await page.screenshot({ path: 'test-results/assign-privileges.png', fullPage: true });

  await openHydrated(page, '/audit?object_type=UserGroup');
  const row = page.locator('tbody tr').first();
  await expect(row).toContainText('UserGroup ServerMonitoring');
  await expect(row).toContainText('"Plugin":"Read Only"');
  await page.screenshot({ path: 'test-results/audit-log.png', fullPage: true });
});

test('bad input on the Add User form names the field and saves nothing', async ({ page }) => {
  await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
  await openHydrated(page, '/add-user');
  await page.getByLabel('User ID').fill('new user');
  await page.getByLabel('Password', { exact: true }).fill(PW);
  await page.getByLabel('Confirm Password').fill(PW);
  await page.getByRole('button', { name: 'Insert' }).click();
  await expect(page.getByRole('alert')).toContainText('User ID: may not contain');
  await page.getByLabel('User ID').fill('newuser');
  await page.getByLabel('Confirm Password').fill('something else entirely');
  await page.getByRole('button', { name: 'Insert' }).click();
  await expect(page.getByRole('alert')).toContainText('Confirm Password');
  expect((await page.request.get('/api/v1/users/newuser')).status()).toBe(404);
});

test('a helpdesk admin cannot take over an account that holds more than they do', async ({ page, browser }) => {
  const api = await adminApi(browser);
  const group = await api.post('/api/v1/user-groups', {
    data: { name: 'Helpdesk', description: 'resets passwords', privileges: [['UserManagement', 'Full Access']] },
  });
  expect(group.status(), await group.text()).toBe(201);
  await newUser(api, 'helpdesk', ['Helpdesk']);
  await newUser(api, 'walkin', []);

  await logIn(page, 'helpdesk', PW);
  await expect(page.getByTestId('current-user')).toHaveText('helpdesk');
  // The super user is out of reach: the save is refused with the reason, nothing changes.
  await openHydrated(page, '/users/CCMAdministrator');
  await page.getByLabel('New Password').fill('a takeover password');
  await page.getByLabel('Confirm Password').fill('a takeover password');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('SuperUserGroup');
  await page.screenshot({ path: 'test-results/privilege-ceiling.png', fullPage: true });
  const admin = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: test.info().project.use.baseURL });
  const login = await admin.request.post('/api/v1/login', { data: { username: 'CCMAdministrator', password: NEW_PASSWORD } });
  expect(login.status(), 'the super user keeps their password').toBe(200);
  await admin.close();

  // An account that holds no more than the helpdesk: its password is reset, and must be changed.
  await openHydrated(page, '/users/walkin');
  await page.getByLabel('New Password').fill('a temporary password');
  await page.getByLabel('Confirm Password').fill('a temporary password');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('saved');
  const walkin = await api.get('/api/v1/users/walkin');
  expect((await walkin.json()).must_change_password).toBe(true);
});

test('an API token is made with its lifetime and listed with its expiry', async ({ page }) => {
  await logIn(page, 'CCMAdministrator', NEW_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('CCMAdministrator');
  await openHydrated(page, '/tokens');
  await page.getByLabel('Token Name').fill('nightly export');
  await page.getByLabel('Expires in (days)').fill('30');
  await page.getByRole('button', { name: 'Create Token' }).click();
  const row = page.getByRole('row', { name: /nightly export/ });
  await expect(row).toBeVisible();
  const expires = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  await expect(row).toContainText(expires);
  await expect(row).toContainText('never');
  await page.screenshot({ path: 'test-results/api-tokens.png', fullPage: true });
});
