import { describe, expect, it } from '@jest/globals';
import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { keyCarrying } from '../../api/test/support/fake-upstream.js';
import {
  addProviderKey,
  openPage,
  registerThroughApi,
  signIn,
  uniqueEmail,
  withDiagnostics,
} from './support/browser.js';
import { useConsole } from './support/console-fixture.js';

const { running, apiOutput } = useConsole({
  withFakeUpstream: true,
  // The webhook receiver below listens on 127.0.0.1, which the address policy refuses by default.
  env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' },
  startTimeoutMs: 90_000,
});

const marker = (label: string): string =>
  `KWMARK${label}${Array.from({ length: 20 }, () => randomInt(10)).join('')}`;

/** The secret and the encodings a page could keep it in. */
const formsOf = (value: string): string[] => [
  ...new Set([
    value,
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ]),
];

/**
 * Everything the browser keeps for the console's origin: both storages, every cookie (HttpOnly
 * too), every IndexedDB database with all its records, every Cache Storage entry with its body.
 */
async function browserStorage(page: Page, context: BrowserContext): Promise<string> {
  const fromPage = await page.evaluate(async () => {
    const dump = (store: Storage): string[] =>
      Array.from({ length: store.length }, (_, i) => {
        const key = store.key(i) ?? '';
        return `${key}=${store.getItem(key) ?? ''}`;
      });
    const indexedDb: Record<string, unknown> = {};
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(info.name ?? '');
        request.onsuccess = () => {
          resolve(request.result);
        };
        request.onerror = () => {
          reject(new Error(String(request.error)));
        };
      });
      const stores: Record<string, unknown> = {};
      for (const name of Array.from(db.objectStoreNames)) {
        const all = db.transaction(name).objectStore(name).getAll();
        stores[name] = await new Promise((resolve) => {
          all.onsuccess = () => {
            resolve(all.result);
          };
        });
      }
      db.close();
      indexedDb[info.name] = stores;
    }
    const cacheStorage: Record<string, string[]> = {};
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      cacheStorage[name] = [];
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        cacheStorage[name].push(`${request.url}\n${(await response?.text()) ?? ''}`);
      }
    }
    return {
      local: dump(window.localStorage),
      session: dump(window.sessionStorage),
      scriptCookies: document.cookie,
      indexedDb,
      cacheStorage,
      url: window.location.href,
    };
  });
  return JSON.stringify({ ...fromPage, cookies: await context.cookies() });
}

describe('secrets in the browser (real API, headless Chromium)', () => {
  it('keeps no password, provider key, API key or webhook secret in browser storage or the DOM', async () => {
    const { api, browser } = running();
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      received.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const email = uniqueEmail('storage');
    const password = marker('PW');
    const providerKey = keyCarrying('openai', 'good', marker('PK'));
    await registerThroughApi(api.url, { email, name: 'Storage Tester', password });
    const testPage = await openPage(browser);
    const { page, context } = testPage;
    const secrets: Record<string, string> = { password, providerKey };
    try {
      await withDiagnostics('secret-storage', testPage, apiOutput, async () => {
        await page.goto(`${api.url}/login`);
        await signIn(page, email, password);

        await page.goto(`${api.url}/providers`);
        await page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
        await addProviderKey(page, {
          provider: 'openai',
          name: 'OpenAI marker',
          apiKey: providerKey,
        });
        await page
          .locator('[data-testid="provider-card"][data-provider="openai"] .provider-card__header')
          .getByText('Valid', { exact: true })
          .waitFor();

        await page.goto(`${api.url}/keys`);
        await page.getByRole('heading', { level: 1, name: 'API Keys' }).waitFor();
        await page.getByRole('button', { name: 'Generate key' }).first().click();
        const generate = page.getByRole('dialog', { name: 'Generate API key' });
        await generate.getByLabel('Name', { exact: true }).fill('Marker key');
        await generate.getByRole('radio', { name: /Generate only/ }).check();
        await generate.getByRole('button', { name: 'Generate key' }).click();
        const reveal = page.getByRole('dialog', { name: 'Your new API key' });
        await reveal.getByText('This key will not be shown again.').waitFor();
        secrets.apiKey = await reveal.getByLabel('API key').inputValue();
        expect(secrets.apiKey).toMatch(/^kw_/);
        await reveal.getByRole('button', { name: 'I have saved it' }).click();
        await reveal.waitFor({ state: 'detached' });
        await page.locator('tr[data-key-name="Marker key"]').waitFor();
        const afterKey = await page.evaluate(() => document.documentElement.outerHTML);
        expect(afterKey).not.toContain(secrets.apiKey);

        await page
          .getByRole('navigation', { name: 'Primary' })
          .getByRole('link', { name: 'Settings' })
          .click();
        const card = page.getByRole('region', { name: 'Webhook' });
        await card.getByLabel('Endpoint URL').fill(receiverUrl);
        await card.getByRole('button', { name: 'Set webhook' }).click();
        const shown = page.getByRole('dialog', { name: 'Webhook signing secret' });
        await shown.getByText('This secret will not be shown again.').waitFor();
        secrets.webhookSecret = await shown.getByLabel('Signing secret').inputValue();
        expect(secrets.webhookSecret).toMatch(/^whsec_/);
        await shown.getByRole('button', { name: 'I have saved it' }).click();
        await shown.waitFor({ state: 'detached' });
        await card.getByRole('button', { name: 'Send test' }).click();
        await card.getByText(/^Delivered/).waitFor();
        expect(received).toEqual(['/hook']);

        // What the browser holds now, and after a reload that re-reads whatever it persisted.
        const seen = [
          `DOM:\n${await page.evaluate(() => document.documentElement.outerHTML)}`,
          `storage:\n${await browserStorage(page, context)}`,
        ];
        await page.reload();
        await page.getByTestId('user-email').waitFor();
        seen.push(`storage after reload:\n${await browserStorage(page, context)}`);
        const text = seen.join('\n');
        // The dump is real: the signed-in state and the refresh cookie are in it.
        expect(text).toContain(email);
        expect(text).toContain('kw_refresh');

        const found = Object.entries(secrets).flatMap(([name, value]) =>
          formsOf(value)
            .filter((form) => text.includes(form))
            .map((form) => `${name} as "${form}"`),
        );
        expect(found).toEqual([]);
        console.log(
          `browser storage: ${Object.keys(secrets).length} secrets, ` +
            `${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB of DOM and storage searched; 0 found`,
        );
        expect(testPage.unexpectedErrors).toEqual([]);
      });
    } finally {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
