import { describe, expect, it } from '@jest/globals';
import { mockFetch } from '../test/render';
import { api, getSession } from './client';

const USER = {
  id: 'usr_1',
  email: 'ada@example.test',
  name: 'Ada',
  role: 'user',
  planId: 'free',
  createdAt: '2026-12-01T00:00:00.000Z',
};

describe('session after signing out', () => {
  it('stays "signed out" when a request still in flight comes back 401 afterwards', async () => {
    mockFetch({
      'POST /api/auth/login': { status: 200, body: { accessToken: 'token-1', user: USER } },
      'POST /api/auth/logout': { status: 204 },
      'GET /api/api-keys': {
        status: 401,
        body: { statusCode: 401, code: 'session_revoked', message: 'Signed out' },
      },
    });
    await api.auth.login({ email: USER.email, password: 'a-long-password' });
    expect(getSession().status).toBe('authenticated');

    await api.auth.logout();
    await expect(api.keys.list({ page: 1, pageSize: 20 })).rejects.toMatchObject({
      status: 401,
    });

    expect(getSession()).toEqual({ status: 'anonymous', signedOut: true });
  });
});
