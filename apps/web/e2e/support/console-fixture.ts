import { afterAll, beforeAll } from '@jest/globals';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { startApi, type ApiProcess } from '../../../api/test/support/api-process.js';
import { startFakeUpstream, type FakeUpstream } from '../../../api/test/support/fake-upstream.js';
import { launchChromium, WEB_DIST_DIR } from './browser.js';

export interface ConsoleFixture {
  /** The API and browser beforeAll started, for use inside a test. */
  running: () => { api: ApiProcess; browser: Browser };
  /** What the API printed, for failure reports. */
  apiOutput: () => string;
}

/**
 * One real API serving the built console (optionally pointed at the fake provider upstream) and
 * one headless Chromium per test file, started before its tests and stopped after them.
 */
export function useConsole(
  options: {
    withFakeUpstream?: boolean;
    env?: Record<string, string>;
    /** For a start that may be slow (a first migration on a loaded machine). */
    startTimeoutMs?: number;
  } = {},
): ConsoleFixture {
  // Any may still be undefined in afterAll when beforeAll failed part-way.
  let api: ApiProcess | undefined;
  let upstream: FakeUpstream | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(resolve(WEB_DIST_DIR, 'index.html'))) {
      throw new Error('Build the console first: pnpm --filter @keyward/web build');
    }
    if (options.withFakeUpstream) upstream = await startFakeUpstream();
    api = await startApi({
      env: { WEB_DIST_DIR, LOG_LEVEL: 'warn', ...upstream?.envFor(), ...options.env },
      startTimeoutMs: options.startTimeoutMs,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      try {
        await api?.stop();
      } finally {
        await upstream?.stop();
      }
    }
  });

  return {
    running: () => {
      if (!api || !browser) {
        throw new Error('The API or Chromium did not start: see the beforeAll failure');
      }
      return { api, browser };
    },
    apiOutput: () => api?.output() ?? '(the API was not started)',
  };
}
