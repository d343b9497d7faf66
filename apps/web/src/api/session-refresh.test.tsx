import { beforeEach, describe, expect, it } from '@jest/globals';
import type { LoginResponse } from '@keyward/shared';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ServerUnreachable } from '../features/auth/ServerUnreachable';
import { api, ApiError, getSession, retrySessionRestore } from './client';
import { mockFetch } from '../test/render';

const SIGNED_IN: LoginResponse = {
  accessToken: 'access-token',
  expiresIn: 900,
  user: {
    id: 'usr_1',
    email: 'someone@example.test',
    name: null,
    role: 'user',
    disabled: false,
    planId: 'free',
    createdAt: '2026-11-30T10:00:00.000Z',
    lastLoginAt: null,
  },
};

const expired = { status: 401, body: { statusCode: 401, code: 'token_expired', message: 'x' } };
const unavailable = {
  status: 503,
  body: { statusCode: 503, code: 'service_unavailable', message: 'The database is unavailable' },
};
const refused = {
  status: 401,
  body: { statusCode: 401, code: 'invalid_token', message: 'The session has ended' },
};

/** The status of the session once the refresh under way has settled. */
async function settledStatus(): Promise<string> {
  await waitFor(() => {
    expect(getSession().status).not.toBe('unknown');
  });
  return getSession().status;
}

describe('a session whose access token expires', () => {
  beforeEach(async () => {
    mockFetch({ 'POST /api/auth/login': { status: 200, body: SIGNED_IN } });
    await api.auth.login({ email: SIGNED_IN.user.email, password: 'password' });
  });

  it('stays signed in when the refresh meets a server error, and the call fails with it', async () => {
    mockFetch({ 'GET /api/auth/me': expired, 'POST /api/auth/refresh': unavailable });

    const failed = await api.auth.me().catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).status).toBe(503);
    expect(getSession()).toMatchObject({ status: 'authenticated', user: { id: 'usr_1' } });
  });

  it('stays signed in when the refresh cannot reach the server at all', async () => {
    const calls = mockFetch({ 'GET /api/auth/me': expired });
    const answering = globalThis.fetch;
    globalThis.fetch = ((input: string, init?: RequestInit) =>
      input === '/api/auth/refresh'
        ? (calls.push({ method: init?.method ?? 'GET', url: input, body: undefined }),
          Promise.reject(new TypeError('fetch failed')))
        : answering(input, init)) as typeof fetch;

    await expect(api.auth.me()).rejects.toMatchObject({ status: 0 });
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'GET /api/auth/me',
      'POST /api/auth/refresh',
    ]);
    expect(getSession().status).toBe('authenticated');
  });

  it('stays signed in when something in front of the server answers the refresh with a 404 or 403', async () => {
    for (const status of [404, 403]) {
      mockFetch({
        'GET /api/auth/me': expired,
        'POST /api/auth/refresh': {
          status,
          body: {
            statusCode: status,
            code: status === 404 ? 'not_found' : 'forbidden',
            message: 'x',
          },
        },
      });
      await expect(api.auth.me()).rejects.toMatchObject({ status });
      expect(getSession().status).toBe('authenticated');
    }
  });

  it('ends when the server refuses the refresh, or the account is disabled', async () => {
    mockFetch({ 'GET /api/auth/me': expired, 'POST /api/auth/refresh': refused });
    await expect(api.auth.me()).rejects.toMatchObject({ status: 401 });
    expect(getSession().status).toBe('anonymous');

    mockFetch({ 'POST /api/auth/login': { status: 200, body: SIGNED_IN } });
    await api.auth.login({ email: SIGNED_IN.user.email, password: 'password' });
    mockFetch({
      'GET /api/auth/me': expired,
      'POST /api/auth/refresh': {
        status: 403,
        body: { statusCode: 403, code: 'account_disabled', message: 'This account is disabled' },
      },
    });
    // The call fails with its own 401, as after any refresh that ends the session.
    await expect(api.auth.me()).rejects.toMatchObject({ status: 401 });
    expect(getSession().status).toBe('anonymous');
  });
});

describe('restoring the session on load', () => {
  it('says the server is unreachable rather than signing out, and a retry restores it', async () => {
    mockFetch({ 'POST /api/auth/refresh': unavailable });
    retrySessionRestore();
    expect(await settledStatus()).toBe('unreachable');
    expect(getSession()).toMatchObject({ message: 'The database is unavailable' });

    const session = getSession();
    if (session.status !== 'unreachable') throw new Error('expected an unreachable session');
    render(<ServerUnreachable message={session.message} />);
    expect(screen.getByRole('alert').textContent).toContain('The database is unavailable');
    const calls = mockFetch({ 'POST /api/auth/refresh': { status: 200, body: SIGNED_IN } });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }));

    expect(await settledStatus()).toBe('authenticated');
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual(['POST /api/auth/refresh']);
  });

  it('signs out when the cookie is refused', async () => {
    mockFetch({ 'POST /api/auth/refresh': refused });
    retrySessionRestore();
    expect(await settledStatus()).toBe('anonymous');
  });
});
