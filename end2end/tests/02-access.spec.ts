import { expect, test, type APIRequestContext } from '@playwright/test';
import { adminApi, body, enterpriseParameters, newUser as createUser, restoreEnterpriseParameters } from './api';
import { asAdmin, freshContext, logIn, NEW_PASSWORD, NO_LOGIN, openHydrated, statusMessage, unique, watchConsole } from './state';

// Users, groups and privileges. The file makes its own users and groups (names of this run); the
// tests logged in as one of them start from a browser that has not logged in, the others from the
// shared admin login. What it changes of the cluster's own (an enterprise parameter, the
// privileges of ServerMonitoring) is put back at the end.
test.describe.configure({ mode: 'serial' });

const PW = 'a long enough password';
const reader = unique('reader');
const phoneadmin = unique('phoneadmin');
const pat = unique('pat');
const victim = unique('victim');
const helpdesk = unique('helpdesk');
const walkin = unique('walkin');
const helpdeskGroup = unique('Helpdesk');

let api: APIRequestContext;
let parameters: Map<string, string>;
let serverMonitoring: { privileges: [string, string][] };

test.beforeAll(async () => {
  api = await adminApi();
  parameters = await enterpriseParameters(api);
  serverMonitoring = await body(api.get('/api/v1/user-groups/ServerMonitoring'));
});

test.afterAll(async () => {
  await restoreEnterpriseParameters(api, parameters);
  const now = await body(api.get('/api/v1/user-groups/ServerMonitoring'));
  if (JSON.stringify(now.privileges) !== JSON.stringify(serverMonitoring.privileges)) {
    // The body names the levels as the pages do ("Read Only"), not as the answers do ("ReadOnly").
    const privileges = serverMonitoring.privileges.map(([group, level]) => [group, level.replace(/([a-z])([A-Z])/g, '$1 $2')]);
    await body(api.put('/api/v1/user-groups/ServerMonitoring', { data: { privileges, version: now.version } }));
  }
  await api.dispose();
});

async function newUser(api: APIRequestContext, name: string, groups: string[]) {
  await createUser(api, name, PW, groups);
}

test('set up users for the access tests', async () => {
  await newUser(api, reader, ['ReadOnly']);
  await newUser(api, phoneadmin, ['PhoneAdministration']);
  await newUser(api, pat, ['ReadOnly', 'PhoneAdministration']);
  await newUser(api, victim, ['ReadOnly']);
});

test.describe(() => {
  test.use({ storageState: NO_LOGIN });

  test('a ReadOnly user sees the Users page with every modifying control disabled', async ({ page }) => {
    const problems = watchConsole(page);
    await logIn(page, reader, PW);
    await expect(page.getByTestId('current-user')).toHaveText(reader);
    await openHydrated(page, '/users');
    await expect(page.getByRole('heading', { name: 'Find and List Users' })).toBeVisible();
    await expect(page.getByRole('cell', { name: 'CCMAdministrator' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add New User' })).toBeDisabled();
    await page.screenshot({ path: 'test-results/users-read-only.png', fullPage: true });

    await page.getByRole('link', { name: victim }).click();
    await expect(page.getByTestId('user-name')).toHaveText(victim);
    await expect(page.getByRole('note')).toContainText('Read Only');
    for (const name of ['Save', 'End Sessions', 'Delete']) {
      await expect(page.getByRole('button', { name })).toBeDisabled();
    }
    await expect(page.locator('#user-disabled')).toBeDisabled();
    await expect(page.getByLabel('New Password')).toBeDisabled();
    await page.screenshot({ path: 'test-results/user-read-only.png', fullPage: true });

    // No way around the disabled controls: the write itself is refused.
    const res = await page.request.put(`/api/v1/users/${victim}`, { headers: { 'sec-fetch-site': 'same-origin' }, data: { disabled: true } });
    expect(res.status()).toBe(403);
    const add = await page.goto('/add-user');
    expect(add!.status()).toBe(403);
    await expect(page.getByRole('heading', { name: 'Access Denied' })).toBeVisible();
    expect(problems.filter((p) => !p.includes('403'))).toEqual([]);
  });

  test('a PhoneAdministration user sees the Device menu but no User menu', async ({ page }) => {
    await logIn(page, phoneadmin, PW);
    await expect(page.getByTestId('current-user')).toHaveText(phoneadmin);
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
});

test('the Privilege Report explains overlapping groups under Maximum and under Minimum', async ({ page }) => {
  await asAdmin(page);
  await openHydrated(page, '/access-rights/privilege-report');
  await page.getByLabel('User ID').fill(pat);
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
  const victimContext = await freshContext(browser);
  const victimPage = await victimContext.newPage();
  await logIn(victimPage, victim, PW);
  await expect(victimPage.getByTestId('current-user')).toHaveText(victim);

  await asAdmin(page);
  await openHydrated(page, `/users/${victim}`);
  await page.locator('#user-disabled').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(statusMessage(page)).toContainText(`User ${victim} saved.`);

  // The victim's open page makes its next request by navigating within the app.
  await victimPage.getByRole('link', { name: 'Change Password' }).click();
  await expect(victimPage).toHaveURL(/\/login$/);
  await victimContext.close();
});

test('two admins editing the same user: the second save gets the conflict message', async ({ page, browser }) => {
  // The second admin logs in on a browser of their own: a session apart from the shared one.
  const other = await freshContext(browser);
  const otherPage = await other.newPage();
  await logIn(otherPage, 'CCMAdministrator', NEW_PASSWORD);
  await expect(otherPage.getByTestId('current-user')).toHaveText('CCMAdministrator');
  await asAdmin(page);

  await openHydrated(page, `/users/${reader}`);
  await openHydrated(otherPage, `/users/${reader}`);
  await page.locator('#user-disabled').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(statusMessage(page)).toContainText('saved');

  await otherPage.getByLabel('PhoneAdministration').check();
  await otherPage.getByRole('button', { name: 'Save' }).click();
  const alert = otherPage.getByRole('alert');
  await expect(alert).toContainText('was changed by CCMAdministrator');
  await expect(alert.getByRole('button', { name: 'Reload' })).toBeVisible();
  await otherPage.screenshot({ path: 'test-results/user-conflict.png', fullPage: true });
  await other.close();
});

test('assigning privileges is audited with the values before and after', async ({ page }) => {
  await asAdmin(page);
  await openHydrated(page, '/access-rights/assign-privileges?group=ServerMonitoring');
  await page.getByLabel('Plugin').selectOption('Read Only');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(statusMessage(page)).toContainText('Privileges of ServerMonitoring saved.');
  await page.screenshot({ path: 'test-results/assign-privileges.png', fullPage: true });

  await openHydrated(page, '/audit?object_type=UserGroup');
  const row = page.locator('tbody tr').first();
  await expect(row).toContainText('UserGroup ServerMonitoring');
  await expect(row).toContainText('"Plugin":"Read Only"');
  await page.screenshot({ path: 'test-results/audit-log.png', fullPage: true });
});

test('bad input on the Add User form names the field and saves nothing', async ({ page }) => {
  const newuser = unique('newuser');
  await asAdmin(page);
  await openHydrated(page, '/add-user');
  await page.getByLabel('User ID').fill('new user');
  await page.getByLabel('Password', { exact: true }).fill(PW);
  await page.getByLabel('Confirm Password').fill(PW);
  await page.getByRole('button', { name: 'Insert' }).click();
  await expect(page.getByRole('alert')).toContainText('User ID: may not contain');
  await page.getByLabel('User ID').fill(newuser);
  await page.getByLabel('Confirm Password').fill('something else entirely');
  await page.getByRole('button', { name: 'Insert' }).click();
  await expect(page.getByRole('alert')).toContainText('Confirm Password');
  expect((await page.request.get(`/api/v1/users/${newuser}`)).status()).toBe(404);
});

test.describe(() => {
  test.use({ storageState: NO_LOGIN });

  test('a helpdesk admin cannot take over an account that holds more than they do', async ({ page, browser }) => {
    const group = await api.post('/api/v1/user-groups', {
      data: { name: helpdeskGroup, description: 'resets passwords', privileges: [['UserManagement', 'Full Access']] },
    });
    expect(group.status(), await group.text()).toBe(201);
    await newUser(api, helpdesk, [helpdeskGroup]);
    await newUser(api, walkin, []);

    await logIn(page, helpdesk, PW);
    await expect(page.getByTestId('current-user')).toHaveText(helpdesk);
    // The super user is out of reach: the save is refused with the reason, nothing changes.
    await openHydrated(page, '/users/CCMAdministrator');
    await page.getByLabel('New Password').fill('a takeover password');
    await page.getByLabel('Confirm Password').fill('a takeover password');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('alert')).toContainText('SuperUserGroup');
    await page.screenshot({ path: 'test-results/privilege-ceiling.png', fullPage: true });
    const admin = await freshContext(browser);
    const login = await admin.request.post('/api/v1/login', { data: { username: 'CCMAdministrator', password: NEW_PASSWORD } });
    expect(login.status(), 'the super user keeps their password').toBe(200);
    await admin.close();

    // An account that holds no more than the helpdesk: its password is reset, and must be changed.
    await openHydrated(page, `/users/${walkin}`);
    await page.getByLabel('New Password').fill('a temporary password');
    await page.getByLabel('Confirm Password').fill('a temporary password');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(statusMessage(page)).toContainText('saved');
    const reset = await api.get(`/api/v1/users/${walkin}`);
    expect((await reset.json()).must_change_password).toBe(true);
  });
});

test('an API token is made with its lifetime and listed with its expiry', async ({ page }) => {
  const token = unique('nightly export ');
  await asAdmin(page);
  await openHydrated(page, '/tokens');
  await page.getByLabel('Token Name').fill(token);
  await page.getByLabel('Expires in (days)').fill('30');
  await page.getByRole('button', { name: 'Create Token' }).click();
  const row = page.getByRole('row', { name: token });
  await expect(row).toBeVisible();
  const expires = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  await expect(row).toContainText(expires);
  await expect(row).toContainText('never');
  await page.screenshot({ path: 'test-results/api-tokens.png', fullPage: true });
});
