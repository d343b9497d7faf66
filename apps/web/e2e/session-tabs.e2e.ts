import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import {
  openPage,
  registerThroughApi,
  signIn,
  uniqueEmail,
  withDiagnostics,
} from './support/browser.js';
import { useConsole } from './support/console-fixture.js';

/** Past the grace period below, a spent refresh token presented again ends its session. */
const GRACE_SECONDS = 1;
const ROUNDS = 6;

const { running, apiOutput } = useConsole({
  env: { REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS) },
});

/** Reloads the console and answers whether it came back signed in. */
async function reloadSignedIn(page: Page): Promise<boolean> {
  await page.reload();
  const signedIn = page.getByTestId('user-email');
  const signInForm = page.getByRole('heading', { name: 'Sign in to Keyward' });
  await signedIn.or(signInForm).waitFor();
  return signedIn.isVisible();
}

describe('one console session in several tabs (real API, headless Chromium)', () => {
  it('stays signed in when the tabs refresh at the same moment, again and again', async () => {
    const { api, browser } = running();
    const email = uniqueEmail('tabs');
    const password = 'two-tabs-one-session';
    await registerThroughApi(api.url, { email, name: 'Tabs', password });
    const testPage = await openPage(browser);
    const { page: first, context } = testPage;
    await withDiagnostics('session-tabs', testPage, apiOutput, async () => {
      // The refresh cookie each refresh presents.
      const presenting: Promise<string>[] = [];
      context.on('request', (request) => {
        if (!request.url().endsWith('/api/auth/refresh')) return;
        presenting.push(
          request
            .allHeaders()
            .then((headers) => /kw_refresh=([^;]+)/.exec(headers.cookie ?? '')?.[1] ?? '(none)'),
        );
      });
      await first.goto(`${api.url}/login`);
      await signIn(first, email, password);
      // A second tab of the same browser shares the refresh cookie.
      const second = await context.newPage();
      await second.goto(`${api.url}/`);
      await second.getByTestId('user-email').waitFor();

      // Each reload restores its tab's session through the cookie, both tabs at once. Each
      // round waits past the grace period, so a tab left holding a spent token is found out by
      // the next round.
      for (let round = 1; round <= ROUNDS; round += 1) {
        const signedIn = await Promise.all([reloadSignedIn(first), reloadSignedIn(second)]);
        expect({ round, signedIn }).toEqual({ round, signedIn: [true, true] });
        await new Promise((resolve) => setTimeout(resolve, GRACE_SECONDS * 1000 + 500));
      }
      expect(await reloadSignedIn(first)).toBe(true);
      // The tabs took turns: no token was presented twice, so none was left spent in the jar.
      const presented = await Promise.all(presenting);
      expect(presented.length).toBeGreaterThanOrEqual(2 * ROUNDS + 2);
      expect({
        presented: presented.length,
        twice: presented.length - new Set(presented).size,
      }).toEqual({ presented: presented.length, twice: 0 });
      expect(testPage.unexpectedErrors).toEqual([]);
    });
  });
});
