import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ErrorBody, LoginResponse } from '@keyward/shared';
import { createHmac, randomBytes } from 'node:crypto';
import { startApi, type ApiProcess } from '../support/api-process.js';
import { call, refreshCookie, signIn, signUp, type SignedIn } from '../support/http.js';
import { decodeJwtPayload, forgeJwt } from '../support/jwt.js';
import { createKey } from '../support/keys.js';
import { documentedRoutes, fillPath, routeName, type DocumentedRoute } from './openapi-routes.js';

const JWT_SECRET = `security-jwt-secret-${randomBytes(16).toString('hex')}`;
const ADMIN = { email: 'admin@keyward.test', password: 'admin-password-for-tests' };

/** An HS512 token signed with the right secret: the algorithm alone must make it fail. */
function signHs512(payload: Record<string, unknown>, secret: string): string {
  const encode = (value: unknown): string =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS512', typ: 'JWT' })}.${encode(payload)}`;
  return `${unsigned}.${createHmac('sha512', secret).update(unsigned).digest('base64url')}`;
}

describe('token attacks', () => {
  let api: ApiProcess;
  let bearerRoutes: DocumentedRoute[];
  let user: SignedIn;

  beforeAll(async () => {
    api = await startApi({
      env: {
        JWT_SECRET,
        LOGIN_MAX_PER_IP_PER_MINUTE: '1000',
        // A replayed refresh token is theft at once here.
        REFRESH_REUSE_GRACE_SECONDS: '0',
      },
    });
    // Every route that takes a console access token, from the API's own route table.
    bearerRoutes = (await documentedRoutes(api.url)).filter(
      (route) =>
        route.path.startsWith('/api/') &&
        !route.path.startsWith('/api/auth/') &&
        route.path !== '/api/leaks' &&
        !route.path.startsWith('/api/health'),
    );
    bearerRoutes.push(
      { method: 'GET', path: '/api/auth/me', queryParameters: [] },
      { method: 'PATCH', path: '/api/auth/me', queryParameters: [] },
      { method: 'POST', path: '/api/auth/password', queryParameters: [] },
    );
    user = await signUp(api.url, 'victim');
  });
  afterAll(async () => {
    await api.stop();
  });

  /** Sends the token to every bearer route; each must answer 401 with one of the codes. */
  async function refusedEverywhere(token: string, codes: string[]): Promise<number> {
    let refused = 0;
    for (const route of bearerRoutes) {
      const result = await call<ErrorBody>(api.url, route.method, fillPath(route.path, 'key_x'), {
        token,
        body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
      });
      expect({ route: routeName(route), status: result.status }).toEqual({
        route: routeName(route),
        status: 401,
      });
      expect(codes).toContain(result.body.code);
      expect(result.text).not.toContain(JWT_SECRET);
      refused += 1;
    }
    return refused;
  }

  it('refuses forged, unsigned, re-algorithmed, expired and premature tokens on every route', async () => {
    const claims = decodeJwtPayload(user.accessToken);
    const now = Math.floor(Date.now() / 1000);
    const admin = await signIn(api.url, ADMIN.email, ADMIN.password);
    const adminClaims = decodeJwtPayload(admin.accessToken);
    const forged: Record<string, [string, string[]]> = {
      'alg none': [forgeJwt(claims, null, { alg: 'none', typ: 'JWT' }), ['invalid_token']],
      'alg None': [forgeJwt(claims, null, { alg: 'None', typ: 'JWT' }), ['invalid_token']],
      'alg none keeping a signature': [
        `${forgeJwt(claims, null, { alg: 'none', typ: 'JWT' })}${user.accessToken.split('.')[2]}`,
        ['invalid_token'],
      ],
      'wrong secret': [forgeJwt(claims, `not-${JWT_SECRET}`), ['invalid_token']],
      'admin role claimed, wrong secret': [
        forgeJwt({ ...claims, role: 'admin' }, `not-${JWT_SECRET}`),
        ['invalid_token'],
      ],
      'payload swapped under a genuine signature': [
        `${admin.accessToken.split('.')[0]}.${user.accessToken.split('.')[1]}.${admin.accessToken.split('.')[2]}`,
        ['invalid_token'],
      ],
      HS512: [signHs512(claims, JWT_SECRET), ['invalid_token']],
      expired: [
        forgeJwt({ ...claims, iat: now - 3600, exp: now - 60 }, JWT_SECRET),
        ['token_expired'],
      ],
      'not yet valid': [
        forgeJwt({ ...claims, nbf: now + 3600, exp: now + 7200 }, JWT_SECRET),
        ['invalid_token'],
      ],
      'other issuer': [forgeJwt({ ...claims, iss: 'someone-else' }, JWT_SECRET), ['invalid_token']],
      // Even with the secret, a token must name a session of its own subject.
      "admin's session under the user's id": [
        forgeJwt({ ...claims, sid: adminClaims.sid }, JWT_SECRET),
        ['session_revoked'],
      ],
      "user's session claiming the admin": [
        forgeJwt({ ...claims, sub: adminClaims.sub, role: 'admin' }, JWT_SECRET),
        ['session_revoked'],
      ],
      'garbage in three parts': ['a.b.c', ['invalid_token']],
    };
    let refused = 0;
    for (const [name, [token, codes]] of Object.entries(forged)) {
      try {
        refused += await refusedEverywhere(token, codes);
      } catch (error) {
        throw new Error(`${name}: ${String(error)}`, { cause: error });
      }
    }
    expect(refused).toBe(Object.keys(forged).length * bearerRoutes.length);
    // The genuine token still works, so the refusals above are about the tokens.
    expect((await call(api.url, 'GET', '/api/api-keys', { token: user.accessToken })).status).toBe(
      200,
    );
  });

  it('takes the role from the account, not from a (validly signed) role claim', async () => {
    const claims = decodeJwtPayload(user.accessToken);
    const escalated = forgeJwt({ ...claims, role: 'admin' }, JWT_SECRET);
    const result = await call<ErrorBody>(api.url, 'GET', '/api/admin/users', { token: escalated });
    expect(result.status).toBe(403);
    const key = await call<ErrorBody>(api.url, 'POST', '/api/api-keys', {
      token: escalated,
      body: { name: 'escalated', preset: 'admin' },
    });
    expect(key.status).toBe(403);
    expect(key.body.code).toBe('scope_not_held');
  });

  it('refuses an access token issued before logout, on every route', async () => {
    const leaving = await signUp(api.url, 'leaving');
    expect(
      (await call(api.url, 'POST', '/api/auth/logout', { cookie: leaving.cookie })).status,
    ).toBe(204);
    await refusedEverywhere(leaving.accessToken, ['session_revoked']);
    const refresh = await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh', {
      cookie: leaving.cookie,
    });
    expect(refresh.status).toBe(401);
  });

  it('refuses an API key where only a console session will do', async () => {
    const key = await createKey(api.url, user.accessToken, { name: 'not a session' });
    for (const route of bearerRoutes.filter((r) => r.path.startsWith('/api/auth/'))) {
      for (const auth of [{ token: key.key }, { headers: { 'x-api-key': key.key } }]) {
        const result = await call(api.url, route.method, route.path, {
          ...auth,
          body: route.method === 'GET' ? undefined : { name: 'by key' },
        });
        expect({ route: routeName(route), status: result.status }).toEqual({
          route: routeName(route),
          status: 401,
        });
      }
    }
  });

  it('ends the whole session family when a rotated refresh token is reused', async () => {
    const victim = await signUp(api.url, 'family');
    const first = await call<LoginResponse>(api.url, 'POST', '/api/auth/refresh', {
      cookie: victim.cookie,
    });
    const second = await call<LoginResponse>(api.url, 'POST', '/api/auth/refresh', {
      cookie: refreshCookie(first),
    });
    expect([first.status, second.status]).toEqual([200, 200]);
    const newest = refreshCookie(second);

    // The thief replays the first, long-rotated token.
    const replay = await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh', {
      cookie: victim.cookie,
    });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('refresh_token_reused');
    expect(refreshCookie(replay)).toBeUndefined();

    // Every member of the family is dead: the newest refresh token and every access token.
    const afterwards = await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh', {
      cookie: newest,
    });
    expect(afterwards.status).toBe(401);
    expect(afterwards.body.code).toBe('session_revoked');
    for (const token of [victim.accessToken, first.body.accessToken, second.body.accessToken]) {
      const me = await call<ErrorBody>(api.url, 'GET', '/api/auth/me', { token });
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('session_revoked');
    }
    // A tampered refresh token is no way back in either.
    const tampered = await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh', {
      cookie: `${newest!.slice(0, -2)}xx`,
    });
    expect(tampered.status).toBe(401);
    // Signing in again starts a new, working session.
    const again = await signIn(api.url, victim.email, victim.password);
    expect((await call(api.url, 'GET', '/api/auth/me', { token: again.accessToken })).status).toBe(
      200,
    );
  });
});
