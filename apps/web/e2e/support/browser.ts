import { expect } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
  type Request,
} from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_DIST_DIR = resolve(here, '../../dist');
export const SCREENSHOT_DIR = resolve(here, '../../../../test-output/screenshots');

export const ADMIN = { email: 'admin@keyward.test', password: 'admin-password-for-tests' };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export function uniqueEmail(label: string): string {
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return `${label}-${suffix}@example.test`;
}

/** A fresh browser context (own cookies and storage) with a log of what went wrong in it. */
export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** API calls (method, path, status, time; body when failed), page and console errors. */
  log: string[];
  /**
   * Uncaught exceptions and console errors (CSP violations, React warnings), except the browser's
   * notes about expected failed loads (see expectedFailure). Tests assert this stays empty.
   */
  unexpectedErrors: string[];
  /** API requests sent but not answered yet. */
  pendingRequests(): string[];
}

/**
 * Failed loads that are answers, not faults: a 401 (signed-out and wrong-password flows expect
 * them) and the 404 with which GET /api/settings/webhook says no webhook is set.
 */
function expectedFailure(text: string, url: string): boolean {
  if (/Failed to load resource: .* status of 401/.test(text)) return true;
  if (!/Failed to load resource: .* status of 404/.test(text)) return false;
  try {
    return new URL(url).pathname === '/api/settings/webhook';
  } catch {
    return false;
  }
}

export async function openPage(
  browser: Browser,
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
): Promise<TestPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const log: string[] = [];
  const unexpectedErrors: string[] = [];
  const started = new Map<Request, number>();
  const pending = new Set<Request>();
  const isApi = (request: Request): boolean => new URL(request.url()).pathname.startsWith('/api/');
  // Test passwords only, but keep the habit: never copy a password into a log.
  const describe = (request: Request): string => {
    const url = new URL(request.url());
    const sent = (request.postData() ?? '').replace(/"password":"[^"]*"/g, '"password":"***"');
    return `${request.method()} ${url.pathname}${url.search} ${sent}`.trimEnd();
  };
  page.on('request', (request) => {
    if (!isApi(request)) return;
    started.set(request, Date.now());
    pending.add(request);
  });
  page.on('requestfinished', (request) => {
    if (!isApi(request)) return;
    pending.delete(request);
    const ms = Date.now() - (started.get(request) ?? Date.now());
    // The page may close before the response is read (the test ended); the log line is lost
    // then, nothing else.
    void request
      .response()
      .then(async (response) => {
        const status = response?.status() ?? 0;
        const body = status >= 400 ? ` ${await response?.text().catch(() => '(no body)')}` : '';
        log.push(`${describe(request)} -> ${status} (${ms} ms)${body}`);
      })
      .catch(() => undefined);
  });
  page.on('requestfailed', (request) => {
    if (!isApi(request)) return;
    pending.delete(request);
    log.push(`${describe(request)} -> failed: ${request.failure()?.errorText ?? 'unknown'}`);
  });
  page.on('pageerror', (error) => {
    unexpectedErrors.push(error.message);
    log.push(`page error: ${error.message}`);
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    log.push(`console error: ${message.text()}`);
    if (!expectedFailure(message.text(), message.location().url)) {
      unexpectedErrors.push(message.text());
    }
  });
  const pendingRequests = (): string[] =>
    [...pending].map((r) => `${describe(r)} (${Date.now() - (started.get(r) ?? 0)} ms)`);
  return { context, page, log, unexpectedErrors, pendingRequests };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Finished animations: a dialog caught mid fade-in would look washed out.
  await page.screenshot({
    path: resolve(SCREENSHOT_DIR, `${name}.png`),
    fullPage: true,
    animations: 'disabled',
  });
}

/**
 * Runs a browser flow and, when it fails, saves a FAILED-<name> screenshot and adds what the
 * browser saw (API calls with status and timing, unanswered calls, page errors) and the API's
 * own output to the failure message.
 */
export async function withDiagnostics(
  name: string,
  testPage: TestPage,
  apiOutput: () => string,
  flow: () => Promise<void>,
): Promise<void> {
  try {
    await flow();
  } catch (error) {
    await screenshot(testPage.page, `FAILED-${name}`).catch(() => undefined);
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const pending = testPage.pendingRequests().join('\n') || '(none)';
    throw new Error(
      `${message}\n\nAt ${testPage.page.url()}` +
        `\n\nBrowser log:\n${testPage.log.join('\n') || '(empty)'}` +
        `\n\nUnanswered API calls:\n${pending}` +
        `\n\nAPI output (last 4000 chars):\n${apiOutput().slice(-4000)}`,
      { cause: error },
    );
  } finally {
    await testPage.context.close();
  }
}

/** Fills the sign-in form; the page must be at /login. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in to Keyward' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('user-email').waitFor();
}

/** Adds a provider credential through the Providers page's dialog (the page must be open). */
export async function addProviderKey(
  page: Page,
  credential: { provider: string; name: string; apiKey: string },
): Promise<void> {
  await page.getByRole('button', { name: 'Add key', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Add provider key' });
  await dialog.getByLabel('Provider').selectOption(credential.provider);
  await dialog.getByLabel('Name').fill(credential.name);
  await dialog.getByLabel('API key').fill(credential.apiKey);
  await dialog.getByRole('button', { name: 'Add key' }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** A JSON POST straight to the API, failing the test unless it answers `expected`. */
async function postToApi(
  apiUrl: string,
  path: string,
  body: unknown,
  expected: number,
): Promise<Response> {
  const response = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== expected) {
    throw new Error(`POST ${path} -> ${response.status} ${await response.text()}`);
  }
  return response;
}

/** Creates an account straight through the API, for tests that are not about registering. */
export async function registerThroughApi(
  apiUrl: string,
  account: { email: string; name: string; password: string },
): Promise<void> {
  await postToApi(apiUrl, '/api/auth/register', account, 201);
}

/** Signs in straight through the API, for a test that calls it as a program would. */
export async function accessTokenFor(
  apiUrl: string,
  account: { email: string; password: string },
): Promise<string> {
  const response = await postToApi(apiUrl, '/api/auth/login', account, 200);
  const { accessToken } = (await response.json()) as { accessToken: string };
  return accessToken;
}

/** Waits (up to 5 s) for an input or select to show a value: React may render a tick later. */
export async function expectValue(locator: Locator, value: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  let current = await locator.inputValue();
  while (current !== value && Date.now() < deadline) {
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    current = await locator.inputValue();
  }
  expect(current).toBe(value);
}
