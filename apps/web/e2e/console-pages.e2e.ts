import { describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { ApiProcess } from '../../api/test/support/api-process.js';
import {
  openPage,
  registerThroughApi,
  screenshot,
  signIn,
  uniqueEmail,
  withDiagnostics,
  type TestPage,
} from './support/browser.js';
import { useConsole } from './support/console-fixture.js';

const { running, apiOutput } = useConsole();

interface Account {
  email: string;
  password: string;
}

/** A fresh user, signed in through the console in a fresh browser context. */
async function signedInUser(
  api: ApiProcess,
  browser: Browser,
  viewport?: { width: number; height: number },
): Promise<{ testPage: TestPage; account: Account }> {
  const account = { email: uniqueEmail('pages'), password: 'a-long-enough-password' };
  await registerThroughApi(api.url, { ...account, name: 'Page Tester' });
  const testPage = await openPage(browser, viewport);
  await testPage.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: api.url,
  });
  await testPage.page.goto(`${api.url}/login`);
  await signIn(testPage.page, account.email, account.password);
  return { testPage, account };
}

/** Signs in straight through the API and creates a key, as a program would. */
async function createKeyThroughApi(apiUrl: string, account: Account, name: string): Promise<void> {
  const login = await fetch(`${apiUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(account),
  });
  expect(login.status).toBe(200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const created = await fetch(`${apiUrl}/api/api-keys`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ name, preset: 'generate_only' }),
  });
  if (created.status !== 201) {
    throw new Error(`POST /api/api-keys -> ${created.status} ${await created.text()}`);
  }
}

async function loginStatus(apiUrl: string, account: Account): Promise<number> {
  const response = await fetch(`${apiUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(account),
  });
  return response.status;
}

async function openFromNav(page: Page, label: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Primary' })
    .getByRole('link', { name: label })
    .click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

const overflows = (page: Page): Promise<boolean> =>
  page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);

describe('Audit log, docs and settings (real API, headless Chromium)', () => {
  it('lists the audit log with a verified chain, and filters by action and date', async () => {
    const { api, browser } = running();
    const { testPage, account } = await signedInUser(api, browser);
    const { page } = testPage;
    const keyName = `Audited ${Date.now().toString(36)}`;
    await createKeyThroughApi(api.url, account, keyName);
    await withDiagnostics('audit-log', testPage, apiOutput, async () => {
      await openFromNav(page, 'Audit log');
      await page.getByText(/^Chain intact — \d+ (entry|entries) verified$/).waitFor();
      const rows = page.getByTestId('audit-row');
      const keyCreate = page.locator('tr[data-action="key.create"]');
      await keyCreate.waitFor();
      await keyCreate.getByText(keyName).waitFor();
      await page.locator('tr[data-action="auth.login"]').first().waitFor();
      await expect(page.locator('tr[data-action="auth.register"]').count()).resolves.toBe(1);
      await screenshot(page, '30-audit-log');

      // The action filter goes to the server: one exact action, then a whole prefix.
      let listed = page.waitForResponse((r) => r.url().includes('action=key.create'));
      await page.getByLabel('Action').selectOption('key.create');
      expect((await listed).status()).toBe(200);
      await keyCreate.waitFor();
      await page.locator('tr[data-action="auth.login"]').first().waitFor({ state: 'detached' });
      await expect(rows.count()).resolves.toBe(1);

      listed = page.waitForResponse((r) => /[?&]action=auth(&|$)/.test(r.url()));
      await page.getByLabel('Action').selectOption('auth');
      expect((await listed).status()).toBe(200);
      await page.locator('tr[data-action="auth.login"]').first().waitFor();
      await keyCreate.waitFor({ state: 'detached' });

      // A date range in the past holds nothing of this brand-new account.
      await page.getByLabel('From').fill('2020-01-01');
      await page.getByLabel('To').fill('2020-01-31');
      await page.getByText('No entries match these filters.').waitFor();
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await keyCreate.waitFor();
      expect(testPage.unexpectedErrors).toEqual([]);
    });
  });

  it('documents how to call this deployment, with copyable examples', async () => {
    const { api, browser } = running();
    const { testPage } = await signedInUser(api, browser);
    const { page } = testPage;
    await withDiagnostics('docs', testPage, apiOutput, async () => {
      await openFromNav(page, 'Docs');
      const origin = new URL(api.url).origin;
      const curl = `curl ${origin}/v1/models -H "Authorization: Bearer $KEYWARD_API_KEY"`;
      await expect(page.getByTestId('example-curl').textContent()).resolves.toContain(curl);
      await page.getByRole('button', { name: 'Copy curl' }).click();
      await page.getByRole('button', { name: 'Copied curl' }).waitFor();
      await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toContain(curl);
      await screenshot(page, '31-docs');

      await page.getByRole('tab', { name: 'TypeScript (openai)' }).click();
      await expect(page.getByTestId('example-typescript').textContent()).resolves.toContain(
        `baseURL: '${origin}/v1'`,
      );
      await page.getByRole('tab', { name: 'Python (requests)' }).click();
      await expect(page.getByTestId('example-python').textContent()).resolves.toContain(
        `"${origin}/v1/models"`,
      );

      await expect(page.getByTestId('key-pattern').textContent()).resolves.toContain('[0-9A-Za-z]');
      await expect(page.getByTestId('error-code-row').count()).resolves.toBe(8);
      for (const code of ['missing_key', 'key_revoked', 'model_not_allowed', 'rate_limited']) {
        await page.getByRole('cell', { name: code }).waitFor();
      }
      const reference = page.getByRole('link', { name: /OpenAPI reference/ }).first();
      await expect(reference.getAttribute('href')).resolves.toBe('/api/docs');
      const openApi = await fetch(`${api.url}/api/docs`);
      expect(openApi.status).toBe(200);
      expect(testPage.unexpectedErrors).toEqual([]);
    });
  });

  it('changes the name and the password; the old password then fails', async () => {
    const { api, browser } = running();
    const { testPage, account } = await signedInUser(api, browser);
    const { page } = testPage;
    const newPassword = 'another-long-password';
    await withDiagnostics('settings', testPage, apiOutput, async () => {
      await openFromNav(page, 'Settings');
      await expect(page.getByTestId('settings-email').textContent()).resolves.toContain(
        account.email,
      );

      const profile = page.getByRole('region', { name: 'Profile' });
      await profile.getByLabel('Name').fill('Renamed Tester');
      const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
      await profile.getByRole('button', { name: 'Save name' }).click();
      expect((await patched).status()).toBe(200);
      await profile.getByText('Your name was saved.').waitFor();

      // Client-side checks run before anything is sent.
      const form = page.getByRole('region', { name: 'Change password' });
      let posts = 0;
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().endsWith('/api/auth/password')) posts += 1;
      });
      await form.getByLabel('Current password').fill(account.password);
      await form.getByLabel('New password', { exact: true }).fill('short');
      await form.getByLabel('Confirm new password').fill('different');
      await form.getByRole('button', { name: 'Change password' }).click();
      await form.getByText('newPassword must be at least 10 characters').waitFor();
      await form.getByText('The passwords do not match.').waitFor();
      expect(posts).toBe(0);

      // A wrong current password: the API's own message, beside the field.
      await form.getByLabel('Current password').fill('not-my-password-at-all');
      await form.getByLabel('New password', { exact: true }).fill(newPassword);
      await form.getByLabel('Confirm new password').fill(newPassword);
      await form.getByRole('button', { name: 'Change password' }).click();
      await form.getByText('The current password is incorrect').waitFor();
      expect(posts).toBe(1);
      await screenshot(page, '32-settings-errors');

      await form.getByLabel('Current password').fill(account.password);
      const changed = page.waitForResponse((r) => r.url().endsWith('/api/auth/password'));
      await form.getByRole('button', { name: 'Change password' }).click();
      expect((await changed).status()).toBe(204);
      await form.getByText('Password changed').waitFor();
      await expect(form.getByLabel('Current password').inputValue()).resolves.toBe('');
      await screenshot(page, '33-settings');

      // The name survives a reload; this session survived the password change.
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
      await expect(profile.getByLabel('Name').inputValue()).resolves.toBe('Renamed Tester');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to Keyward' }).waitFor();
      await expect(loginStatus(api.url, account)).resolves.toBe(401);
      await signIn(page, account.email, newPassword);
      await openFromNav(page, 'Audit log');
      await page.locator('tr[data-action="auth.password_change"]').waitFor();
      await page.locator('tr[data-action="auth.profile_update"]').waitFor();
      // The browser notes the one 403 this test asked for (the wrong current password).
      const forbidden = /Failed to load resource: .* status of 403/;
      expect(testPage.unexpectedErrors.filter((error) => forbidden.test(error))).toHaveLength(1);
      expect(testPage.unexpectedErrors.filter((error) => !forbidden.test(error))).toEqual([]);
    });
  });

  it('fits the audit log, docs and settings pages into 375px', async () => {
    const { api, browser } = running();
    const { testPage, account } = await signedInUser(api, browser, { width: 375, height: 812 });
    const { page } = testPage;
    await createKeyThroughApi(api.url, account, 'Mobile key');
    await withDiagnostics('console-pages-mobile', testPage, apiOutput, async () => {
      await page.goto(`${api.url}/audit`);
      await page.locator('tr[data-action="key.create"]').waitFor();
      await page.getByText(/^Chain intact/).waitFor();
      await expect(overflows(page)).resolves.toBe(false);
      await screenshot(page, '34-mobile-audit-log');

      await page.goto(`${api.url}/docs`);
      await page.getByTestId('example-curl').waitFor();
      await expect(overflows(page)).resolves.toBe(false);
      await screenshot(page, '35-mobile-docs');

      await page.goto(`${api.url}/settings`);
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
      await expect(overflows(page)).resolves.toBe(false);
      await screenshot(page, '36-mobile-settings');
      expect(testPage.unexpectedErrors).toEqual([]);
    });
  });
});
