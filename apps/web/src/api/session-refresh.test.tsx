import { describe, expect, it } from '@jest/globals';
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

// One module-wide session, as in the console: the steps run in order.
describe('a session whose access token expires', () => {
  it('stays signed in when the refresh meets a server error, and the call fails with it', async () => {
    mockFetch({ 'POST /api/auth/login': { status: 200, body: SIGNED_IN } });
    await api.auth.login({ email: SIGNED_IN.user.email, password: 'password' });
    mockFetch({ 'GET /api/auth/me': expired, 'POST /api/auth/refresh': unavailable });

    const failed = await api.auth.me().catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).status).toBe(503);
    expect(getSession()).toMatchObject({ status: 'authenticated', user: { id: 'usr_1' } });
  });

  it('stays signed in when the server cannot be reached at all', async () => {
    globalThis.fetch = () => Promise.reject(new TypeError('fetch failed'));

    await expect(api.auth.me()).rejects.toMatchObject({ status: 0 });
    expect(getSession().status).toBe('authenticated');
  });

  it('ends when the server refuses the refresh', async () => {
    mockFetch({ 'GET /api/auth/me': expired, 'POST /api/auth/refresh': refused });

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
