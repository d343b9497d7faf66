import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type { ApiProcess } from '../../api/test/support/api-process.js';
import { fakeKey } from '../../api/test/support/fake-upstream.js';
import {
  ADMIN,
  accessTokenFor,
  addProviderKey,
  openPage,
  registerThroughApi,
  screenshot as fullPageScreenshot,
  signIn,
  uniqueEmail,
  withDiagnostics,
  type TestPage,
} from './support/browser.js';
import { useConsole } from './support/console-fixture.js';

const { running, apiOutput } = useConsole({
  withFakeUpstream: true,
  // The webhook receiver below listens on 127.0.0.1, which the address policy refuses by default;
  // usage is flushed quickly so the Usage page sees the calls within a second.
  env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', USAGE_FLUSH_INTERVAL_MS: '200' },
});

const MOBILE = { width: 375, height: 812 };

/** A full-page screenshot from the top: scrolled, the fixed header would be drawn mid-page. */
async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => {
    window.scrollTo(0, 0);
  });
  await fullPageScreenshot(page, name);
}

async function signedInUser(
  api: ApiProcess,
  browser: Browser,
  label: string,
  viewport?: { width: number; height: number },
): Promise<TestPage & { email: string }> {
  const email = uniqueEmail(label);
  const password = 'a-long-enough-password';
  await registerThroughApi(api.url, { email, name: 'Usage Tester', password });
  const testPage = await openPage(browser, viewport);
  await testPage.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: api.url,
  });
  await testPage.page.goto(`${api.url}/login`);
  await signIn(testPage.page, email, password);
  return { ...testPage, email };
}

async function goTo(page: Page, link: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: link }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

async function callWithKey(
  apiUrl: string,
  key: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${apiUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      Authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Polls until `check` passes; usage is written in batches, a moment after the calls. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

async function startReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/keyward`, received, server };
}

describe('Usage, settings and plans (real API, headless Chromium)', () => {
  it('follows a key from creation through calls, Usage, CSV export, revocation and the audit log', async () => {
    const { api, browser } = running();
    const testPage = await signedInUser(api, browser, 'usage');
    const { page } = testPage;
    await withDiagnostics('usage-main-flow', testPage, apiOutput, async () => {
      // A provider credential, checked against the fake upstream.
      await goTo(page, 'Providers', 'Providers');
      await addProviderKey(page, {
        provider: 'openai',
        name: 'OpenAI main',
        apiKey: fakeKey('openai', 'good'),
      });

      // A key, copied with the dialog's button.
      await goTo(page, 'API Keys', 'API Keys');
      const keyName = `Usage ${Date.now().toString(36)}`;
      await page.getByRole('button', { name: 'Generate key' }).first().click();
      const generate = page.getByRole('dialog', { name: 'Generate API key' });
      await generate.getByLabel('Name', { exact: true }).fill(keyName);
      await generate.getByRole('radio', { name: /Generate only/ }).check();
      await generate.getByRole('button', { name: 'Generate key' }).click();
      const reveal = page.getByRole('dialog', { name: 'Your new API key' });
      await reveal.getByRole('button', { name: 'Copy' }).click();
      await reveal.getByRole('button', { name: 'Copied' }).waitFor();
      const key = await page.evaluate(() => navigator.clipboard.readText());
      await expect(reveal.getByLabel('API key').inputValue()).resolves.toBe(key);
      await reveal.getByRole('button', { name: 'I have saved it' }).click();
      await reveal.waitFor({ state: 'detached' });

      // Two calls through the gateway with it.
      const models = await callWithKey(api.url, key, '/v1/models');
      expect(models.status).toBe(200);
      const listed = (await models.json()) as { data: { id: string }[] };
      expect(listed.data.map((model) => model.id)).toContain('openai/gpt-4o-mini');
      const chat = await callWithKey(api.url, key, '/v1/chat/completions', {
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hello' }],
      });
      expect(chat.status).toBe(200);

      // Both show up in Usage: the totals and the event rows.
      await goTo(page, 'Usage', 'Usage');
      await eventually(async () => {
        await page.reload();
        await page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor();
        const rows = page.getByTestId('usage-event-row');
        await rows
          .first()
          .waitFor({ timeout: 3000 })
          .catch(() => undefined);
        return (await rows.count()) >= 2;
      }, 'two usage events');
      await expect(
        page.getByTestId('kpi-Requests').locator('.kpi__value').textContent(),
      ).resolves.toBe('2');
      await expect(
        page.getByTestId('kpi-Success rate').locator('.kpi__value').textContent(),
      ).resolves.toBe('100%');
      const chatRow = page.locator(
        '[data-testid="usage-event-row"][data-route="POST /v1/chat/completions"]',
      );
      await expect(chatRow.textContent()).resolves.toContain(keyName);
      await expect(chatRow.textContent()).resolves.toContain('openai/gpt-4o-mini');
      await page.getByRole('progressbar', { name: 'Requests' }).waitFor();
      await page.getByRole('figure', { name: /Requests per day/ }).waitFor();

      // Filters and sorting narrow the history without a reload.
      const statusFilter = page.getByRole('search', { name: 'Filter events' }).getByLabel('Status');
      await statusFilter.selectOption('4xx');
      await page.getByText('No requests match these filters in this period.').waitFor();
      await statusFilter.selectOption('');
      await chatRow.waitFor();
      await page.getByRole('button', { name: /^Latency/ }).click();
      await page.locator('th[aria-sort="descending"]', { hasText: 'Latency' }).waitFor();
      await screenshot(page, '40-usage');

      // The chart's numbers are also a table.
      await page
        .getByRole('figure', { name: /Requests per day/ })
        .getByRole('button', { name: 'Show as table' })
        .click();
      await page
        .getByRole('figure', { name: /Requests per day/ })
        .getByRole('table')
        .waitFor();

      // The CSV comes through fetch with the Authorization header, never a token in the URL.
      const exportRequest = page.waitForRequest((r) => r.url().includes('/api/usage/export.csv'));
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download CSV' }).click();
      const sent = await exportRequest;
      expect(sent.url()).not.toMatch(/token|Bearer/i);
      expect(sent.headers().authorization).toMatch(/^Bearer /);
      const saved = await download;
      // Named as the server suggests for the range, not as the console guesses.
      expect(saved.suggestedFilename()).toMatch(
        /^keyward-usage-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/,
      );
      const file = await saved.path();
      const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/);
      expect(lines.length).toBe(3); // header and two events
      expect(lines.slice(1).join('\n')).toContain('/v1/chat/completions');
      expect(lines.slice(1).join('\n')).toContain('/v1/models');
      expect(testPage.unexpectedErrors).toEqual([]);

      // The key's own usage, then revocation: the next call is refused.
      await goTo(page, 'API Keys', 'API Keys');
      await page.getByRole('button', { name: `Usage of ${keyName}` }).click();
      const usageDialog = page.getByRole('dialog', { name: `Usage of ${keyName}` });
      await expect(usageDialog.getByTestId('key-usage-requests').textContent()).resolves.toBe('2');
      await screenshot(page, '41-key-usage-dialog');
      await page.keyboard.press('Escape');
      await usageDialog.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: `Revoke ${keyName}` }).click();
      const confirm = page.getByRole('dialog', { name: `Revoke ${keyName}?` });
      await confirm.getByRole('button', { name: 'Revoke key' }).click();
      await confirm.waitFor({ state: 'detached' });
      await page.locator(`tr[data-key-name="${keyName}"][data-status="revoked"]`).waitFor();
      await expect(callWithKey(api.url, key, '/v1/models').then((r) => r.status)).resolves.toBe(
        401,
      );

      await goTo(page, 'Audit log', 'Audit log');
      await page.locator('[data-testid="audit-row"][data-action="key.revoke"]').first().waitFor();
      await page.locator('[data-testid="audit-row"][data-action="key.create"]').first().waitFor();
      await page
        .locator('[data-testid="audit-row"][data-action="provider_key.create"]')
        .first()
        .waitFor();
      expect(testPage.unexpectedErrors).toEqual([]);
    });
  });

  it('sets a webhook with its secret shown once, tests and removes it', async () => {
    const { api, browser } = running();
    const receiver = await startReceiver();
    const testPage = await signedInUser(api, browser, 'webhook');
    const { page } = testPage;
    try {
      await withDiagnostics('settings-webhook', testPage, apiOutput, async () => {
        await goTo(page, 'Settings', 'Settings');
        const card = page.getByRole('region', { name: 'Webhook' });
        await card.getByLabel('Endpoint URL').fill(receiver.url);
        await card.getByRole('button', { name: 'Set webhook' }).click();

        const dialog = page.getByRole('dialog', { name: 'Webhook signing secret' });
        await dialog.getByText('This secret will not be shown again.').waitFor();
        const secret = await dialog.getByLabel('Signing secret').inputValue();
        expect(secret.length).toBeGreaterThan(16);
        await screenshot(page, '42-settings-webhook-secret');
        await dialog.getByRole('button', { name: 'I have saved it' }).click();
        await dialog.waitFor({ state: 'detached' });
        const html = await page.content();
        expect(html).not.toContain(secret);

        await card.getByRole('button', { name: 'Send test' }).click();
        await card.getByText(/^Delivered/).waitFor();
        expect(receiver.received.length).toBeGreaterThanOrEqual(1);
        expect(receiver.received[0]?.headers['x-keyward-signature']).toMatch(/t=\d+,v1=[0-9a-f]+/);

        await card.getByRole('button', { name: 'Rotate secret' }).click();
        const rotated = page.getByRole('dialog', { name: 'Your new signing secret' });
        const second = await rotated.getByLabel('Signing secret').inputValue();
        expect(second).not.toBe(secret);
        await page.keyboard.press('Escape');
        await page.waitForTimeout(300);
        await expect(rotated.getByLabel('Signing secret').inputValue()).resolves.toBe(second);
        await rotated.getByRole('button', { name: 'I have saved it' }).click();
        await rotated.waitFor({ state: 'detached' });
        expect(await page.content()).not.toContain(second);
        await screenshot(page, '43-settings');

        await card.getByRole('button', { name: 'Remove' }).click();
        const confirm = page.getByRole('dialog', { name: 'Remove the webhook?' });
        await confirm.getByRole('button', { name: 'Remove webhook' }).click();
        await confirm.waitFor({ state: 'detached' });
        await card.getByRole('button', { name: 'Set webhook' }).waitFor();
        expect(testPage.unexpectedErrors).toEqual([]);
      });
    } finally {
      await new Promise((resolveClose) => receiver.server.close(resolveClose));
    }
  });

  it('requests an upgrade, an admin approves it, and the overview shows the new plan', async () => {
    const { api, browser } = running();
    const user = await signedInUser(api, browser, 'upgrade');
    await withDiagnostics('upgrade-request', user, apiOutput, async () => {
      const { page } = user;
      await page.getByRole('progressbar', { name: 'Requests' }).waitFor();
      await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Free plan');

      await goTo(page, 'Settings', 'Settings');
      const plan = page.getByRole('region', { name: 'Plan' });
      await plan.getByRole('radio', { name: /Pro/ }).check();
      await plan.getByLabel(/Message/).fill('We are launching next week.');
      await plan.getByRole('button', { name: 'Request upgrade' }).click();
      await plan.getByTestId('pending-upgrade').waitFor();

      const admin = await openPage(browser);
      await withDiagnostics('upgrade-approve', admin, apiOutput, async () => {
        await admin.page.goto(`${api.url}/login`);
        await signIn(admin.page, ADMIN.email, ADMIN.password);
        await goTo(admin.page, 'Admin', 'Users');
        await admin.page
          .getByRole('navigation', { name: 'Admin sections' })
          .getByRole('link', { name: 'Upgrade requests' })
          .click();
        await admin.page.getByRole('heading', { level: 1, name: 'Upgrade requests' }).waitFor();
        const request = admin.page.locator(
          `[data-testid="upgrade-request"][data-email="${user.email}"]`,
        );
        await request.getByText('We are launching next week.').waitFor();
        await screenshot(admin.page, '44-admin-upgrade-requests');
        await request.getByRole('button', { name: `Approve ${user.email}` }).click();
        await request.waitFor({ state: 'detached' });

        await admin.page
          .getByRole('navigation', { name: 'Admin sections' })
          .getByRole('link', { name: 'Plans' })
          .click();
        await admin.page.getByRole('heading', { level: 1, name: 'Plans' }).waitFor();
        await admin.page.locator('[data-plan="enterprise"]').waitFor();
        await screenshot(admin.page, '45-admin-plans');
        await admin.page
          .getByRole('navigation', { name: 'Admin sections' })
          .getByRole('link', { name: 'Users' })
          .click();
        const adminRow = admin.page.locator(`tr[data-email="${ADMIN.email}"]`);
        await expect(adminRow.getByLabel(/^Plan for/).inputValue()).resolves.toMatch(/^[a-z-]+$/);
        expect(admin.unexpectedErrors).toEqual([]);
      });

      await goTo(page, 'Overview', 'Welcome');
      await page.reload();
      await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Pro plan');
      await expect(
        page.getByRole('progressbar', { name: 'Requests' }).getAttribute('aria-valuetext'),
      ).resolves.toContain('100,000');
      await screenshot(page, '46-overview');
      expect(user.unexpectedErrors).toEqual([]);
    });
  });

  it('retires a plan no one is on, lists it apart, opens it again, and refuses to retire free', async () => {
    const { api, browser } = running();
    // A plan of this test's own: the other tests here share the API and its plans.
    const id = `e2e-${Date.now().toString(36)}`;
    const name = `Short-lived ${id}`;
    const token = await accessTokenFor(api.url, ADMIN);
    const adminCall = (method: 'PUT' | 'DELETE', body?: unknown): Promise<Response> =>
      fetch(`${api.url}/api/admin/plans/${id}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const created = await adminCall('PUT', {
      name,
      monthlyRequestLimit: 5000,
      monthlyCostLimitMicros: null,
      sortOrder: 900,
    });
    expect(created.status).toBe(200);

    const admin = await openPage(browser);
    await withDiagnostics('admin-retire-plan', admin, apiOutput, async () => {
      const { page } = admin;
      await page.goto(`${api.url}/login`);
      await signIn(page, ADMIN.email, ADMIN.password);
      await goTo(page, 'Admin', 'Users');
      await page
        .getByRole('navigation', { name: 'Admin sections' })
        .getByRole('link', { name: 'Plans' })
        .click();
      await page.getByRole('heading', { level: 1, name: 'Plans' }).waitFor();

      const open = page.getByRole('region', { name: 'Plan limits' });
      await open.getByRole('form', { name: `Plan ${name}` }).waitFor();
      await open.locator(`[data-plan="${id}"]`).getByRole('button', { name: 'Retire' }).click();
      const confirm = page.getByRole('dialog', { name: `Retire the ${name} plan?` });
      await confirm.getByRole('button', { name: 'Retire plan' }).click();
      await confirm.waitFor({ state: 'detached' });

      const retired = page
        .getByRole('region', { name: 'Retired plans' })
        .getByRole('listitem', { name: `Retired plan ${name}` });
      await retired.waitFor();
      await expect(retired.getAttribute('data-plan')).resolves.toBe(id);
      await expect(retired.textContent()).resolves.toContain(id);
      await expect(open.locator(`[data-plan="${id}"]`).count()).resolves.toBe(0);
      await screenshot(page, '45-admin-plans-retired');

      await retired.getByRole('button', { name: 'Open again' }).click();
      await open.getByRole('form', { name: `Plan ${name}` }).waitFor();
      await retired.waitFor({ state: 'detached' });

      // New accounts start on free: the server refuses and the row says why.
      const free = open.locator('[data-plan="free"]');
      await free.getByRole('button', { name: 'Retire' }).click();
      await page
        .getByRole('dialog', { name: /^Retire the .* plan\?$/ })
        .getByRole('button', { name: 'Retire plan' })
        .click();
      await expect(free.getByRole('alert').textContent()).resolves.toMatch(
        /New accounts start on the .* plan: it cannot be retired/,
      );
      await expect(free.getByRole('form').count()).resolves.toBe(1);
      // The refusal is the answer asked for; the browser logs its 409 as a failed load.
      expect(admin.unexpectedErrors.filter((text) => !/status of 409/.test(text))).toEqual([]);
    });

    // Leave the catalogue as the other tests found it.
    const tidied = await adminCall('DELETE');
    expect(tidied.status).toBe(200);
  });

  it('fits the new pages at 375px', async () => {
    const { api, browser } = running();
    const testPage = await signedInUser(api, browser, 'mobile', MOBILE);
    const { page } = testPage;
    await withDiagnostics('mobile-usage-settings', testPage, apiOutput, async () => {
      for (const [path, heading, shot] of [
        ['/', /Welcome/, '47-mobile-overview'],
        ['/usage', 'Usage', '48-mobile-usage'],
        ['/settings', 'Settings', '49-mobile-settings'],
      ] as const) {
        await page.goto(`${api.url}${path}`);
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        await page
          .getByRole('status')
          .filter({ hasText: /Loading/ })
          .first()
          .waitFor({ state: 'detached' })
          .catch(() => undefined);
        const overflows = await page.evaluate(
          () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
        );
        expect(overflows).toBe(false);
        await screenshot(page, shot);
      }
      expect(testPage.unexpectedErrors).toEqual([]);
    });
  });
});
