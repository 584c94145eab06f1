import { defineConfig } from '@playwright/test';
import { ADMIN_STATE, BASE_URL } from './tests/state';

// The suite runs against one freshly started server (see global-setup.ts): SQLite by default,
// PostgreSQL when CCMADMIN_E2E_DATABASE_URL is set. Debian's Chromium, never a downloaded browser.
//
// The project `setup` (tests/auth.setup.ts) does the first login of CCMAdministrator and saves
// that login; `desktop` (the specs) depends on it and starts every test logged in with it. Each
// spec file makes what it needs and puts back what it changes, so any file runs alone
// (`npx playwright test tests/05-security.spec.ts`) and the files run in any order
// (`npx playwright test --shuffle [seed]`: the files in an order from the seed, printed at the
// start). One worker: the specs share one server, whose cluster-wide settings some change.

export default defineConfig({
  testDir: './tests',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  globalSetup: './global-setup.ts',
  outputDir: './test-results',
  use: {
    baseURL: BASE_URL,
    ignoreHTTPSErrors: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [
    {
      name: 'setup',
      testMatch: /auth\.setup\.ts$/,
      use: { browserName: 'chromium', viewport: { width: 1280, height: 800 } },
    },
    {
      name: 'desktop',
      dependencies: ['setup'],
      use: { browserName: 'chromium', viewport: { width: 1280, height: 800 }, storageState: ADMIN_STATE },
    },
  ],
});
