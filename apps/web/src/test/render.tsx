import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';

/** Renders with a fresh query client that never retries, so an error shows at once. */
export function renderWithQueries(ui: ReactElement): RenderResult {
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  return render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>);
}

export interface RecordedCall {
  method: string;
  url: string;
  body: unknown;
}

/**
 * Replaces fetch with one answering from `routes` ("PUT /api/settings/webhook" → status and
 * body) and records every call, so a test can assert what the form sent.
 */
export function mockFetch(
  routes: Record<string, { status: number; body?: unknown }>,
): RecordedCall[] {
  const calls: RecordedCall[] = [];
  globalThis.fetch = ((input: string, init?: RequestInit) => {
    // The client always calls fetch with a path string.
    const url = input;
    const method = init?.method ?? 'GET';
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, url, body });
    const route = routes[`${method} ${url.split('?')[0] ?? url}`];
    const status = route?.status ?? 404;
    const text =
      route?.body === undefined
        ? JSON.stringify({ statusCode: 404, code: 'not_found', message: 'Not found' })
        : JSON.stringify(route.body);
    // jsdom has no fetch Response: this is the part of one the client reads.
    const response = {
      ok: status >= 200 && status < 300,
      status,
      statusText: '',
      headers: { get: () => null },
      json: () => Promise.resolve(JSON.parse(text) as unknown),
      blob: () => Promise.resolve(new Blob([text])),
    };
    return Promise.resolve(response as unknown as Response);
  }) as typeof fetch;
  return calls;
}
