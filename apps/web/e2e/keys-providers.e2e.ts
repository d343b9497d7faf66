import { describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { ApiProcess } from '../../api/test/support/api-process.js';
import { fakeKey } from '../../api/test/support/fake-upstream.js';
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

const { running, apiOutput } = useConsole({ withFakeUpstream: true });

/** A fresh user, signed in through the console in a fresh browser context. */
async function signedInUser(
  api: ApiProcess,
  browser: Browser,
  viewport?: { width: number; height: number },
): Promise<TestPage> {
  const email = uniqueEmail('keys');
  const password = 'a-long-enough-password';
  await registerThroughApi(api.url, { email, name: 'Key Tester', password });
  const testPage = await openPage(browser, viewport);
  await testPage.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: api.url,
  });
  await testPage.page.goto(`${api.url}/login`);
  await signIn(testPage.page, email, password);
  return testPage;
}

async function whoamiStatus(apiUrl: string, key: string): Promise<number> {
  const response = await fetch(`${apiUrl}/v1/whoami`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  return response.status;
}

/** Everything script can see: the DOM, both storages, cookies readable by script, the URL. */
async function visibleToScript(page: Page): Promise<string> {
  return page.evaluate(() => {
    const dump = (store: Storage): string[] =>
      Array.from({ length: store.length }, (_, i) => {
        const key = store.key(i) ?? '';
        return `${key}=${store.getItem(key) ?? ''}`;
      });
    return JSON.stringify({
      html: document.documentElement.outerHTML,
      local: dump(window.localStorage),
      session: dump(window.sessionStorage),
      cookie: document.cookie,
      url: window.location.href,
    });
  });
}

/** Generates a key through the dialog and returns the plaintext read from the show-once field. */
async function generateKey(page: Page, name: string, shots = false): Promise<string> {
  await page.getByRole('button', { name: 'Generate key' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Generate API key' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByRole('radio', { name: /Generate only/ }).check();
  if (shots) await screenshot(page, '20-keys-generate-dialog');
  const created = page.waitForResponse(
    (r) => r.request().method() === 'POST' && r.url().endsWith('/api/api-keys'),
  );
  await dialog.getByRole('button', { name: 'Generate key' }).click();
  expect((await created).status()).toBe(201);
  const reveal = page.getByRole('dialog', { name: 'Your new API key' });
  await reveal.getByText('This key will not be shown again.').waitFor();
  const key = await reveal.getByLabel('API key').inputValue();
  expect(key.length).toBeGreaterThan(20);
  return key;
}

describe('API keys and providers (real API, headless Chromium)', () => {
  it('generates a key shown once, keeps it out of the DOM and storage, and revokes it', async () => {
    const { api, browser } = running();
    const testPage = await signedInUser(api, browser);
    const { page } = testPage;
    await withDiagnostics('keys-generate-revoke', testPage, apiOutput, async () => {
      await page
        .getByRole('navigation', { name: 'Primary' })
        .getByRole('link', { name: 'API Keys' })
        .click();
      await page.getByRole('heading', { level: 1, name: 'API Keys' }).waitFor();
      await page.getByText('No API keys yet').waitFor();

      // Escape closes a dialog and gives focus back to the button that opened it.
      const opener = page.getByRole('button', { name: 'Generate key' }).first();
      await opener.click();
      const dialog = page.getByRole('dialog', { name: 'Generate API key' });
      await dialog.getByLabel('Name', { exact: true }).waitFor();
      await expect(dialog.getAttribute('aria-modal')).resolves.toBe('true');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      await expect(opener.evaluate((el) => el === document.activeElement)).resolves.toBe(true);

      // The DTO's class-validator rules run before anything is sent.
      let posts = 0;
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().endsWith('/api/api-keys')) posts += 1;
      });
      await opener.click();
      await dialog.getByLabel('Allowed models').fill('gpt-4o');
      await dialog.getByRole('button', { name: 'Generate key' }).click();
      await dialog.getByText('Give the key a name.').waitFor();
      await dialog.getByText('each allowed model must look like provider/model').waitFor();
      expect(posts).toBe(0);
      await dialog.getByLabel('Allowed models').fill('');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });

      const name = `Backend ${Date.now().toString(36)}`;
      const key = await generateKey(page, name, true);
      const reveal = page.getByRole('dialog', { name: 'Your new API key' });
      await reveal.getByRole('button', { name: 'Copy' }).click();
      await reveal.getByRole('button', { name: 'Copied' }).waitFor();
      await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(key);
      await screenshot(page, '21-keys-show-once');
      await reveal.getByRole('button', { name: 'I have saved it' }).click();
      await reveal.waitFor({ state: 'detached' });
      expect(await visibleToScript(page)).not.toContain(key);

      const row = page.locator(`tr[data-key-name="${name}"]`);
      await row.waitFor();
      await row.getByText('active', { exact: true }).waitFor();
      await row.getByText('generate', { exact: true }).waitFor();
      await expect(whoamiStatus(api.url, key)).resolves.toBe(200);
      await screenshot(page, '22-keys-list');

      await page.getByRole('button', { name: `Revoke ${name}` }).click();
      const confirm = page.getByRole('dialog', { name: `Revoke ${name}?` });
      const revoked = page.waitForResponse((r) => r.request().method() === 'DELETE');
      await confirm.getByRole('button', { name: 'Revoke key' }).click();
      await row.getByText('revoked', { exact: true }).waitFor();
      expect((await revoked).status()).toBe(204);
      await expect(whoamiStatus(api.url, key)).resolves.toBe(401);

      // Filters go to the server: the revoked key is under "Revoked", not under "Active".
      await page.getByLabel('Status').selectOption('active');
      await page.getByText('No keys match these filters.').waitFor();
      await page.getByLabel('Status').selectOption('revoked');
      await row.waitFor();
      await page.getByLabel('Search by name').fill('no-such-key');
      await page.getByText('No keys match these filters.').waitFor();
      expect(await visibleToScript(page)).not.toContain(key);
      expect(testPage.unexpectedErrors).toEqual([]);
    });
  });

  it('regenerates a key: the new secret works, the old one stops without a grace period', async () => {
    const { api, browser } = running();
    const testPage = await signedInUser(api, browser);
    const { page } = testPage;
    await withDiagnostics('keys-regenerate', testPage, apiOutput, async () => {
      await page.goto(`${api.url}/keys`);
      await page.getByRole('heading', { level: 1, name: 'API Keys' }).waitFor();
      const name = `Worker ${Date.now().toString(36)}`;
      const first = await generateKey(page, name);
      await page.getByRole('button', { name: 'I have saved it' }).click();
      await expect(whoamiStatus(api.url, first)).resolves.toBe(200);

      await page.getByRole('button', { name: `Regenerate ${name}` }).click();
      const dialog = page.getByRole('dialog', { name: `Regenerate ${name}` });
      await dialog.getByRole('radio', { name: /None/ }).check();
      await dialog.getByRole('button', { name: 'Regenerate key' }).click();
      const reveal = page.getByRole('dialog', { name: 'Your regenerated key' });
      await reveal.getByText('The previous key has stopped working.').waitFor();
      const second = await reveal.getByLabel('API key').inputValue();
      expect(second).not.toBe(first);
      // A reflex Escape does not throw away a key shown once: only the explicit choice closes it.
      await page.keyboard.press('Escape');
      await page.waitForTimeout(300);
      await expect(reveal.getByLabel('API key').inputValue()).resolves.toBe(second);
      await reveal.getByRole('button', { name: 'I have saved it' }).click();
      await reveal.waitFor({ state: 'detached' });
      const seen = await visibleToScript(page);
      expect(seen).not.toContain(second);
      expect(seen).not.toContain(first);

      await expect(whoamiStatus(api.url, second)).resolves.toBe(200);
      await expect(whoamiStatus(api.url, first)).resolves.toBe(401);

      // Editing keeps the secret and changes what the key may do.
      await page.getByRole('button', { name: `Edit ${name}` }).click();
      const edit = page.getByRole('dialog', { name: `Edit ${name}` });
      await edit.getByLabel('Description').fill('Nightly jobs');
      await edit.getByRole('button', { name: 'Save changes' }).click();
      await edit.waitFor({ state: 'detached' });
      await page.locator(`tr[data-key-name="${name}"]`).getByText('Nightly jobs').waitFor();
      await expect(whoamiStatus(api.url, second)).resolves.toBe(200);
      expect(testPage.unexpectedErrors).toEqual([]);
    });
  });

  it('adds provider keys through the dialog and shows their status, test and delete', async () => {
    const { api, browser } = running();
    const testPage = await signedInUser(api, browser);
    const { page } = testPage;
    const good = fakeKey('openai', 'good');
    const bad = fakeKey('anthropic', 'bad');
    await withDiagnostics('providers', testPage, apiOutput, async () => {
      await page.goto(`${api.url}/providers`);
      await page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
      const openai = page.locator('[data-testid="provider-card"][data-provider="openai"]');
      const anthropic = page.locator('[data-testid="provider-card"][data-provider="anthropic"]');
      await openai.getByText('Not configured', { exact: true }).waitFor();

      await page.getByRole('button', { name: 'Add key', exact: true }).click();
      let dialog = page.getByRole('dialog', { name: 'Add provider key' });
      await dialog.getByLabel('Provider').selectOption('openai');
      await dialog.getByLabel('Name').fill('OpenAI prod');
      await expect(dialog.getByLabel('API key').getAttribute('type')).resolves.toBe('password');
      // keyHint.pattern gives a soft warning only.
      await dialog.getByLabel('API key').fill('not-a-real-key');
      await dialog
        .getByText('This does not look like a key for OpenAI', { exact: false })
        .waitFor();
      await dialog.getByLabel('API key').fill(good);
      await dialog
        .getByText('This does not look like', { exact: false })
        .waitFor({ state: 'detached' });
      await screenshot(page, '23-providers-add-dialog');
      await dialog.getByRole('button', { name: 'Add key' }).click();
      await dialog.waitFor({ state: 'detached' });
      await openai.locator('.provider-card__header').getByText('Valid', { exact: true }).waitFor();
      await openai.getByText('OpenAI prod').waitFor();

      await page.getByRole('button', { name: 'Add Anthropic key' }).click();
      dialog = page.getByRole('dialog', { name: 'Add provider key' });
      await expect(dialog.getByLabel('Provider').inputValue()).resolves.toBe('anthropic');
      await dialog.getByLabel('Name').fill('Anthropic old');
      await dialog.getByLabel('API key').fill(bad);
      await dialog.getByRole('button', { name: 'Add key' }).click();
      await dialog.waitFor({ state: 'detached' });
      await anthropic
        .locator('.provider-card__header')
        .getByText('Invalid', { exact: true })
        .waitFor();
      await expect(anthropic.locator('.pkey__error').textContent()).resolves.toMatch(/\w+/);
      const seen = await visibleToScript(page);
      expect(seen).not.toContain(good);
      expect(seen).not.toContain(bad);
      await screenshot(page, '24-providers');

      await page.getByRole('button', { name: 'Test OpenAI prod' }).click();
      await openai.getByText(/^Test: Valid/).waitFor();

      await page.getByRole('button', { name: 'Delete Anthropic old' }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete Anthropic old?' });
      await confirm.getByRole('button', { name: 'Delete key' }).click();
      await confirm.waitFor({ state: 'detached' });
      await anthropic.getByText('Not configured', { exact: true }).first().waitFor();
      await expect(anthropic.getByText('Anthropic old').count()).resolves.toBe(0);

      // The chat fallback order: move OpenAI down, save, and it is still there after a reload.
      await page.getByRole('button', { name: 'Move OpenAI down' }).click();
      const saved = page.waitForResponse((r) => r.request().method() === 'PUT');
      await page.getByRole('button', { name: 'Save order' }).click();
      expect((await saved).status()).toBe(200);
      await page.reload();
      const list = page.getByRole('list', { name: 'Chat providers, first tried first' });
      await expect(list.locator('li').nth(1).getAttribute('data-provider')).resolves.toBe('openai');
      expect(testPage.unexpectedErrors).toEqual([]);
    });
  });

  it('fits the keys and providers pages into 375px', async () => {
    const { api, browser } = running();
    const testPage = await signedInUser(api, browser, { width: 375, height: 812 });
    const { page } = testPage;
    const overflows = (): Promise<boolean> =>
      page.evaluate(
        () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
      );
    await withDiagnostics('keys-providers-mobile', testPage, apiOutput, async () => {
      await page.goto(`${api.url}/keys`);
      await page.getByRole('heading', { level: 1, name: 'API Keys' }).waitFor();
      await generateKey(page, 'Mobile app');
      await screenshot(page, '25-mobile-show-once');
      await page.getByRole('button', { name: 'I have saved it' }).click();
      await page.locator('tr[data-key-name="Mobile app"]').waitFor();
      await expect(overflows()).resolves.toBe(false);
      await screenshot(page, '26-mobile-keys');

      await page.goto(`${api.url}/providers`);
      await page.getByText('Chat fallback order').waitFor();
      await expect(overflows()).resolves.toBe(false);
      await screenshot(page, '27-mobile-providers');
      expect(testPage.unexpectedErrors).toEqual([]);
    });
  });
});
