import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ErrorBody, LoginResponse, MeResponse, Page, UserResponse } from '@keyward/shared';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { startApi, type ApiProcess } from './support/api-process.js';
import { SESSIONS_ENDED_BEFORE } from '../src/auth/session-purge.job.js';
import { createScratchDatabase, lockWaiters, planOf, queryDatabase } from './support/database.js';
import { eventually } from './support/gateway.js';
import { auditEvents, call, refreshCookie, signIn, signUp, uniqueEmail } from './support/http.js';
import { decodeJwtPayload, forgeJwt } from './support/jwt.js';

const JWT_SECRET = `test-jwt-secret-${randomBytes(16).toString('hex')}`;
const ADMIN = { email: 'admin@keyward.test', password: 'admin-password-for-tests' };

describe('console auth', () => {
  let api: ApiProcess;
  const get = <T = ErrorBody>(path: string, token?: string) =>
    call<T>(api.url, 'GET', path, { token });

  beforeAll(async () => {
    api = await startApi({
      env: {
        JWT_SECRET,
        LOG_LEVEL: 'trace',
        LOGIN_MAX_PER_IP_PER_MINUTE: '1000',
        // Replays are theft at once here; the grace period has its own test below.
        REFRESH_REUSE_GRACE_SECONDS: '0',
      },
    });
  });
  afterAll(async () => {
    await api.stop();
  });

  it('registers a user and returns it without any secret', async () => {
    const email = uniqueEmail();
    const result = await call<{ user: UserResponse }>(api.url, 'POST', '/api/auth/register', {
      body: { email: email.toUpperCase(), password: 'long-enough-password', name: 'Ada' },
    });
    expect(result.status).toBe(201);
    expect(result.body.user).toMatchObject({ email, name: 'Ada', role: 'user', disabled: false });
    expect(result.text).not.toMatch(/password|hash/i);
  });

  it('refuses a duplicate email with 409 email_taken', async () => {
    const { email } = await signUp(api.url);
    const again = await call<ErrorBody>(api.url, 'POST', '/api/auth/register', {
      body: { email, password: 'another-long-password' },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('email_taken');
  });

  it('refuses unknown fields such as role on register (mass assignment)', async () => {
    const result = await call<ErrorBody>(api.url, 'POST', '/api/auth/register', {
      body: { email: uniqueEmail(), password: 'long-enough-password', role: 'admin' },
    });
    expect(result.status).toBe(400);
    expect(result.body.code).toBe('validation_failed');
    expect(result.body.errors?.map((error) => error.field)).toContain('role');
  });

  it('explains every invalid field and never echoes the submitted values', async () => {
    const result = await call<ErrorBody>(api.url, 'POST', '/api/auth/register', {
      body: { email: 'not-an-email', password: 'short-pw' },
    });
    expect(result.status).toBe(400);
    expect(result.body.errors?.map((error) => error.field).sort()).toEqual(['email', 'password']);
    // A missing one is told what it must be, not every rule it also breaks.
    const missing = await call<ErrorBody>(api.url, 'POST', '/api/auth/register', { body: {} });
    expect(missing.body.errors).toEqual([
      { field: 'email', messages: ['email must be a string'] },
      { field: 'password', messages: ['password must be a string'] },
    ]);
    expect(result.text).not.toContain('short-pw');
  });

  it('trims names on register and refuses blank names and passwords of spaces alone', async () => {
    const register = (body: Record<string, unknown>) =>
      call<ErrorBody & { user: UserResponse }>(api.url, 'POST', '/api/auth/register', { body });
    const padded = await register({
      email: uniqueEmail(),
      password: 'long-enough-password',
      name: '  Ada Lovelace  ',
    });
    expect(padded.status).toBe(201);
    expect(padded.body.user.name).toBe('Ada Lovelace');
    const blankName = await register({
      email: uniqueEmail(),
      password: 'long-enough-password',
      name: '   ',
    });
    expect([blankName.status, blankName.body.code]).toEqual([400, 'validation_failed']);
    expect(blankName.body.errors).toEqual([
      { field: 'name', messages: ['name must not be blank'] },
    ]);
    const spaces = await register({ email: uniqueEmail(), password: ' '.repeat(12) });
    expect([spaces.status, spaces.body.code]).toEqual([400, 'validation_failed']);
    expect(spaces.body.errors).toEqual([
      { field: 'password', messages: ['password must not be only spaces'] },
    ]);
    // Spaces inside a password are kept, not trimmed away.
    const email = uniqueEmail();
    expect((await register({ email, password: ' spaced out password ' })).status).toBe(201);
    await signIn(api.url, email, ' spaced out password ');
  });

  it('signs in, returns a 15-minute access token and sets an httpOnly SameSite=Strict refresh cookie', async () => {
    const { email, password } = await signUp(api.url);
    const login = await call<LoginResponse>(api.url, 'POST', '/api/auth/login', {
      body: { email, password },
    });
    expect(login.status).toBe(200);
    expect(login.body.expiresIn).toBe(900);
    const payload = decodeJwtPayload(login.body.accessToken);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(900);
    const setCookie = login.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/kw_refresh=[^;]+;.*HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/api\/auth/);

    const me = await get<MeResponse>('/api/auth/me', login.body.accessToken);
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(email);
    expect(me.body.user.lastLoginAt).not.toBeNull();
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const { email } = await signUp(api.url);
    const wrong = await call<ErrorBody>(api.url, 'POST', '/api/auth/login', {
      body: { email, password: 'not-the-password' },
    });
    const unknown = await call<ErrorBody>(api.url, 'POST', '/api/auth/login', {
      body: { email: uniqueEmail('nobody'), password: 'not-the-password' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.code).toBe('invalid_credentials');
  });

  it('refuses missing, malformed, forged, alg:none and expired access tokens with distinct codes', async () => {
    const user = await signUp(api.url);
    const claims = decodeJwtPayload(user.accessToken);
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'unauthenticated'],
      ['not-a-jwt', 'invalid_token'],
      [forgeJwt({ ...claims }, 'a-different-secret-of-enough-length'), 'invalid_token'],
      [forgeJwt({ ...claims }, null, { alg: 'none', typ: 'JWT' }), 'invalid_token'],
      [forgeJwt({ ...claims, iat: now - 1000, exp: now - 10 }, JWT_SECRET), 'token_expired'],
    ];
    for (const [token, code] of cases) {
      const result = await get('/api/auth/me', token);
      expect({ token, status: result.status, code: result.body.code }).toEqual({
        token,
        status: 401,
        code,
      });
    }
    // The genuine token still works, so the cases above failed for the reasons given.
    expect((await get('/api/auth/me', user.accessToken)).status).toBe(200);
  });

  it('rotates the refresh token on every use and revokes the session when an old one is replayed', async () => {
    const user = await signUp(api.url);
    const first = await call<LoginResponse>(api.url, 'POST', '/api/auth/refresh', {
      cookie: user.cookie,
    });
    expect(first.status).toBe(200);
    const rotated = refreshCookie(first);
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(user.cookie);
    expect((await get('/api/auth/me', first.body.accessToken)).status).toBe(200);

    // Replaying the first (already used) token: theft is assumed and the whole family ends.
    const replay = await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh', {
      cookie: user.cookie,
    });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('refresh_token_reused');

    const afterReplay = await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh', {
      cookie: rotated,
    });
    expect(afterReplay.status).toBe(401);
    expect(afterReplay.body.code).toBe('session_revoked');
    const me = await get('/api/auth/me', first.body.accessToken);
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('session_revoked');
  });

  it('refuses refresh without a cookie or with an unknown token', async () => {
    const missing = await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh');
    expect(missing.body.code).toBe('refresh_token_missing');
    const unknown = await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh', {
      cookie: 'kw_refresh=made-up-token',
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe('refresh_token_invalid');
    // A refused cookie is cleared, so the browser stops sending it.
    expect(unknown.headers.getSetCookie().join()).toMatch(/kw_refresh=;/);
  });

  it('logout ends the session: its refresh token and access tokens stop working', async () => {
    const user = await signUp(api.url);
    const logout = await call(api.url, 'POST', '/api/auth/logout', { cookie: user.cookie });
    expect(logout.status).toBe(204);
    // Cleared with the attributes it was set with: HttpOnly, SameSite=Strict, its path.
    const cleared = logout.headers.getSetCookie().join();
    expect(cleared).toMatch(/kw_refresh=;/);
    expect(cleared).toMatch(/HttpOnly/);
    expect(cleared).toMatch(/SameSite=Strict/);
    expect(cleared).toMatch(/Path=\/api\/auth/);
    expect(
      (await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh', { cookie: user.cookie })).body
        .code,
    ).toBe('session_revoked');
    expect((await get('/api/auth/me', user.accessToken)).body.code).toBe('session_revoked');
  });

  it('logs a session out once when several sign-outs of it arrive at once', async () => {
    // Needs a connection of its own beside the API's.
    if (!api.env.DATABASE_URL) return;
    const user = await signUp(api.url, 'double-logout');
    // The session's row is held while the sign-outs arrive, so they all find it open.
    const holder = new pg.Client({ connectionString: api.env.DATABASE_URL });
    await holder.connect();
    let answers: { status: number }[];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM sessions WHERE user_id = $1 FOR UPDATE', [user.userId]);
      const signOuts = Promise.all(
        Array.from({ length: 5 }, () =>
          call(api.url, 'POST', '/api/auth/logout', { cookie: user.cookie }),
        ),
      );
      expect(await lockWaiters(holder, 5)).toBeGreaterThanOrEqual(5);
      await holder.query('COMMIT');
      answers = await signOuts;
    } finally {
      await holder.end();
    }
    expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill(204));
    const other = await signIn(api.url, user.email, user.password);
    const audit = await auditEvents(api.url, other.accessToken, '?action=auth.logout&pageSize=50');
    expect(audit).toHaveLength(1);
  });

  it('refuses a sign-in whose password was changed while it was being checked', async () => {
    if (!api.env.DATABASE_URL) return;
    const user = await signUp(api.url, 'changed-mid-sign-in');
    // Stands in for a password change that commits while the sign-in checks the old password.
    const change = new pg.Client({ connectionString: api.env.DATABASE_URL });
    await change.connect();
    try {
      await change.query('BEGIN');
      await change.query(`UPDATE users SET password_hash = 'changed' WHERE id = $1`, [user.userId]);
      const signingIn = call<ErrorBody>(api.url, 'POST', '/api/auth/login', {
        body: { email: user.email, password: user.password },
      });
      expect(await lockWaiters(change, 1)).toBeGreaterThanOrEqual(1);
      await change.query('COMMIT');
      const answer = await signingIn;
      expect([answer.status, answer.body.code]).toEqual([401, 'invalid_credentials']);
      // Logged as the failed sign-in it is.
      const failed = await auditEvents(
        api.url,
        user.accessToken,
        '?action=auth.login_failed&pageSize=50',
      );
      expect(failed.map((event) => event.targetId)).toEqual([user.userId]);
    } finally {
      await change.end();
    }
  });

  it('keeps other sessions of the same user open after one logs out', async () => {
    const user = await signUp(api.url);
    const second = await signIn(api.url, user.email, user.password);
    await call(api.url, 'POST', '/api/auth/logout', { cookie: user.cookie });
    expect((await get('/api/auth/me', second.accessToken)).status).toBe(200);
  });

  it('changes the password with the current one, ending every other session', async () => {
    const user = await signUp(api.url, 'password');
    const other = await signIn(api.url, user.email, user.password);
    const change = (body: Record<string, unknown>) =>
      call<ErrorBody>(api.url, 'POST', '/api/auth/password', { token: user.accessToken, body });
    const wrong = await change({
      currentPassword: 'not-my-password',
      newPassword: 'brand-new-password-1',
    });
    expect([wrong.status, wrong.body.code]).toEqual([403, 'invalid_credentials']);
    expect(
      (await change({ currentPassword: user.password, newPassword: user.password })).status,
    ).toBe(400);
    expect((await change({ currentPassword: user.password, newPassword: 'short' })).status).toBe(
      400,
    );
    const spaces = await change({ currentPassword: user.password, newPassword: ' '.repeat(12) });
    expect([spaces.status, spaces.body.message]).toEqual([
      400,
      'newPassword must not be only spaces',
    ]);
    expect(
      (await change({ currentPassword: user.password, newPassword: 'brand-new-password-1' }))
        .status,
    ).toBe(204);
    expect((await get('/api/auth/me', user.accessToken)).status).toBe(200);
    expect((await get('/api/auth/me', other.accessToken)).body.code).toBe('session_revoked');
    const old = await call<ErrorBody>(api.url, 'POST', '/api/auth/login', {
      body: { email: user.email, password: user.password },
    });
    expect(old.status).toBe(401);
    await signIn(api.url, user.email, 'brand-new-password-1');
  });

  it('updates the profile name, trimmed, and refuses blank names and other fields', async () => {
    const user = await signUp(api.url, 'profile');
    const updated = await call<MeResponse>(api.url, 'PATCH', '/api/auth/me', {
      token: user.accessToken,
      body: { name: 'Grace Hopper' },
    });
    expect(updated.body.user.name).toBe('Grace Hopper');
    const blank = await call<ErrorBody>(api.url, 'PATCH', '/api/auth/me', {
      token: user.accessToken,
      body: { name: '   ' },
    });
    expect([blank.status, blank.body.code]).toEqual([400, 'validation_failed']);
    expect(blank.body.errors).toEqual([{ field: 'name', messages: ['name must not be blank'] }]);
    expect((await get<MeResponse>('/api/auth/me', user.accessToken)).body.user.name).toBe(
      'Grace Hopper',
    );
    const padded = await call<MeResponse>(api.url, 'PATCH', '/api/auth/me', {
      token: user.accessToken,
      body: { name: '  Grace Brewster Hopper  ' },
    });
    expect(padded.body.user.name).toBe('Grace Brewster Hopper');
    const sneaky = await call<ErrorBody>(api.url, 'PATCH', '/api/auth/me', {
      token: user.accessToken,
      body: { role: 'admin' },
    });
    expect(sneaky.status).toBe(400);
    expect((await get<MeResponse>('/api/auth/me', user.accessToken)).body.user.role).toBe('user');
  });

  describe('admin user management', () => {
    it('is refused to a normal user with 403 and to nobody with 401', async () => {
      const user = await signUp(api.url);
      const asUser = await get('/api/admin/users', user.accessToken);
      expect(asUser.status).toBe(403);
      expect(asUser.body.code).toBe('forbidden');
      const patch = await call<ErrorBody>(api.url, 'PATCH', `/api/admin/users/${user.userId}`, {
        token: user.accessToken,
        body: { role: 'admin' },
      });
      expect(patch.status).toBe(403);
      expect((await get('/api/admin/users')).status).toBe(401);
    });

    it('lists users with paging and never shows password hashes', async () => {
      const admin = await signIn(api.url, ADMIN.email, ADMIN.password);
      await signUp(api.url);
      const page = await get<Page<UserResponse>>(
        '/api/admin/users?page=1&pageSize=2',
        admin.accessToken,
      );
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(2);
      expect(page.body.total).toBeGreaterThanOrEqual(2);
      expect(page.text).not.toMatch(/argon2|password/i);
      const huge = await get('/api/admin/users?pageSize=100000', admin.accessToken);
      expect(huge.status).toBe(400);
    });

    it('promotes a user, whose next token carries the admin role', async () => {
      const admin = await signIn(api.url, ADMIN.email, ADMIN.password);
      const user = await signUp(api.url);
      const promoted = await call<UserResponse>(
        api.url,
        'PATCH',
        `/api/admin/users/${user.userId}`,
        {
          token: admin.accessToken,
          body: { role: 'admin' },
        },
      );
      expect(promoted.status).toBe(200);
      expect(promoted.body.role).toBe('admin');
      const again = await signIn(api.url, user.email, user.password);
      expect((await get('/api/admin/users', again.accessToken)).status).toBe(200);
    });

    it('disabling a user ends its sessions and blocks sign-in', async () => {
      const admin = await signIn(api.url, ADMIN.email, ADMIN.password);
      const user = await signUp(api.url);
      const disabled = await call<UserResponse>(
        api.url,
        'PATCH',
        `/api/admin/users/${user.userId}`,
        {
          token: admin.accessToken,
          body: { disabled: true },
        },
      );
      expect(disabled.body.disabled).toBe(true);
      expect((await get('/api/auth/me', user.accessToken)).status).toBe(401);
      expect(
        (await call(api.url, 'POST', '/api/auth/refresh', { cookie: user.cookie })).status,
      ).toBe(401);
      const login = await call<ErrorBody>(api.url, 'POST', '/api/auth/login', {
        body: { email: user.email, password: user.password },
      });
      expect(login.status).toBe(403);
      expect(login.body.code).toBe('account_disabled');
    });

    it('refuses unknown fields and unknown ids', async () => {
      const admin = await signIn(api.url, ADMIN.email, ADMIN.password);
      const user = await signUp(api.url);
      const extra = await call<ErrorBody>(api.url, 'PATCH', `/api/admin/users/${user.userId}`, {
        token: admin.accessToken,
        body: { email: 'taken-over@example.test' },
      });
      expect(extra.status).toBe(400);
      const missing = await call<ErrorBody>(
        api.url,
        'PATCH',
        '/api/admin/users/usr_does_not_exist',
        {
          token: admin.accessToken,
          body: { disabled: true },
        },
      );
      expect(missing.status).toBe(404);
    });
  });

  it('never writes passwords, tokens or cookies to the log, even at trace level', async () => {
    const user = await signUp(api.url);
    await call(api.url, 'POST', '/api/auth/login', {
      body: { email: user.email, password: 'wrong-password-marker' },
    });
    const refreshed = await call<LoginResponse>(api.url, 'POST', '/api/auth/refresh', {
      cookie: user.cookie,
    });
    await get(`/api/auth/me?token=${user.accessToken}`, refreshed.body.accessToken);
    await call(api.url, 'POST', '/api/auth/logout', { cookie: refreshCookie(refreshed) });
    // A request's log line is written after its answer: the last one's line means all are in.
    const output = await eventually(
      () => Promise.resolve(api.output()),
      (text) => text.includes('"url":"/api/auth/logout"'),
    );
    expect(output).toContain('"url":"/api/auth/me?token=%5Bredacted%5D"');
    const secrets = [
      user.password,
      'wrong-password-marker',
      user.accessToken,
      refreshed.body.accessToken,
      user.cookie.split('=')[1]!,
      refreshCookie(refreshed)!.split('=')[1]!,
      JWT_SECRET,
      ADMIN.password,
    ];
    for (const secret of secrets) expect(output).not.toContain(secret);
  });
});

describe('registration switch and brute-force throttling', () => {
  let api: ApiProcess;

  beforeAll(async () => {
    api = await startApi({
      env: {
        REGISTRATION_ENABLED: 'false',
        LOGIN_MAX_PER_ACCOUNT_PER_15_MINUTES: '3',
        LOGIN_MAX_PER_IP_PER_MINUTE: '8',
        REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}:`,
      },
    });
  });
  afterAll(async () => {
    await api.stop();
  });

  it('tolerates a replay within the grace period (a reload mid-refresh), then treats it as theft', async () => {
    // This instance keeps the default grace of 10 s; registration is off, so sign in the admin.
    const admin = await signIn(api.url, 'admin@keyward.test', 'admin-password-for-tests');
    const first = await call<LoginResponse>(api.url, 'POST', '/api/auth/refresh', {
      cookie: admin.cookie,
    });
    expect(first.status).toBe(200);
    const replay = await call<LoginResponse>(api.url, 'POST', '/api/auth/refresh', {
      cookie: admin.cookie,
    });
    expect(replay.status).toBe(200);
    expect(refreshCookie(replay)).not.toBe(refreshCookie(first));
    expect(
      (await call(api.url, 'GET', '/api/auth/me', { token: replay.body.accessToken })).status,
    ).toBe(200);
  });

  it('refuses registration when it is disabled', async () => {
    const result = await call<ErrorBody>(api.url, 'POST', '/api/auth/register', {
      body: { email: uniqueEmail(), password: 'long-enough-password' },
    });
    expect(result.status).toBe(403);
    expect(result.body.code).toBe('registration_disabled');
  });

  it('throttles attempts per account, then per IP, with 429 and Retry-After', async () => {
    const attempt = (email: string) =>
      call<ErrorBody>(api.url, 'POST', '/api/auth/login', {
        body: { email, password: 'guessing-password' },
      });
    const target = uniqueEmail('target');
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await attempt(target)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const limited = await attempt(target);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    // Another account from the same IP is not blocked by the first account's limit, but the IP
    // as a whole runs out (8 a minute, including this file's earlier sign-in attempts).
    const others = [];
    for (let i = 0; i < 8; i += 1) others.push((await attempt(uniqueEmail('other'))).status);
    expect(others[0]).toBe(401);
    expect(others).toContain(429);
    expect(others.indexOf(429)).toBeLessThanOrEqual(5);
  });
});

describe('refresh replay within the grace period', () => {
  let api: ApiProcess;

  beforeAll(async () => {
    api = await startApi({ env: { REFRESH_REUSE_GRACE_SECONDS: '1' } });
  });
  afterAll(async () => {
    await api.stop();
  });

  it('cannot fork a session: the branch left behind is caught once the grace has passed', async () => {
    const user = await signUp(api.url, 'forked');
    const legit = await call<LoginResponse>(api.url, 'POST', '/api/auth/refresh', {
      cookie: user.cookie,
    });
    // A thief replays the original token inside the grace period and gets a token of its own.
    const thief = await call<LoginResponse>(api.url, 'POST', '/api/auth/refresh', {
      cookie: user.cookie,
    });
    expect(thief.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    // The legitimate branch was spent by the replay: using it now reveals the theft.
    const caught = await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh', {
      cookie: refreshCookie(legit),
    });
    expect(caught.body.code).toBe('refresh_token_reused');
    const thiefNext = await call<ErrorBody>(api.url, 'POST', '/api/auth/refresh', {
      cookie: refreshCookie(thief),
    });
    expect(thiefNext.status).toBe(401);
    expect(
      (await call(api.url, 'GET', '/api/auth/me', { token: thief.body.accessToken })).status,
    ).toBe(401);
  });
  it('lets only one of two tokens of a session presented at once mint the next live token', async () => {
    const refresh = (cookie: string | undefined) =>
      call<LoginResponse>(api.url, 'POST', '/api/auth/refresh', { cookie });
    const forks: string[] = [];
    for (let round = 0; round < 6; round++) {
      const user = await signUp(api.url, 'concurrent');
      // The original token, exchanged once, is still in its grace period beside the new one.
      const next = refreshCookie(await refresh(user.cookie));
      const both = await Promise.all([refresh(user.cookie), refresh(next)]);
      const minted = both.filter((answer) => answer.status === 200).map(refreshCookie);
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      // Two live tokens would both refresh now; one session has one.
      const used: number[] = [];
      for (const cookie of minted) used.push((await refresh(cookie)).status);
      if (used.filter((status) => status === 200).length > 1) forks.push(`round ${round}`);
    }
    expect(forks).toEqual([]);
  });
});

describe('ended sessions', () => {
  it('are purged with their refresh tokens a week after they end; live ones stay', async () => {
    // A database of its own on PostgreSQL: any API another test starts meanwhile runs the purge.
    const scratch = process.env.TEST_DATABASE_URL
      ? await createScratchDatabase(process.env.TEST_DATABASE_URL)
      : undefined;
    const env = scratch ? { DATABASE_URL: scratch.url } : {};
    const first = await startApi({ cleanup: false, env });
    let restarted: ApiProcess | undefined;
    try {
      const user = await signUp(first.url, 'sessions');
      const signInAgain = () => signIn(first.url, user.email, user.password);
      const [signedOutLongAgo, expiredLongAgo, signedOutToday] = [
        await signInAgain(),
        await signInAgain(),
        await signInAgain(),
      ];
      for (const ended of [signedOutLongAgo, signedOutToday]) {
        expect(
          (await call(first.url, 'POST', '/api/auth/logout', { cookie: ended.cookie })).status,
        ).toBe(204);
      }
      const sessionOf = (signedIn: { accessToken: string }) =>
        String(decodeJwtPayload(signedIn.accessToken).sid);
      expect(await first.stop()).toBe(0);
      await queryDatabase(
        first,
        `UPDATE sessions SET
           revoked_at = CASE WHEN id = $1 THEN now() - interval '8 days' ELSE revoked_at END,
           expires_at = CASE WHEN id = $2 THEN now() - interval '8 days' ELSE expires_at END`,
        [sessionOf(signedOutLongAgo), sessionOf(expiredLongAgo)],
      );

      restarted = await startApi({ dataDir: first.dataDir, env });
      const api = restarted;
      // The job runs shortly after start; its log line says when it is done (or why it failed).
      const log = await eventually(
        () => Promise.resolve(api.output()),
        (output) => /Purged \d+ sessions|Session purge failed/.test(output),
        30_000,
      );
      expect(log).toMatch(/Purged 2 sessions that ended over 7 days ago/);
      expect(
        (await call(api.url, 'POST', '/api/auth/refresh', { cookie: user.cookie })).status,
      ).toBe(200);
      await api.stop();
      const left = await queryDatabase<{ id: string; tokens: string }>(
        api,
        `SELECT s.id, (SELECT count(*) FROM refresh_tokens t WHERE t.session_id = s.id) AS tokens
           FROM sessions s WHERE s.user_id = $1 ORDER BY s.id`,
        [user.userId],
      );
      expect(left.map((row) => row.id)).toEqual(
        [sessionOf(user), sessionOf(signedOutToday)].sort(),
      );
      const orphans = await queryDatabase<{ count: string }>(
        api,
        `SELECT count(*) FROM refresh_tokens WHERE session_id = ANY($1)`,
        [[sessionOf(signedOutLongAgo), sessionOf(expiredLongAgo)]],
      );
      expect(Number(orphans[0]?.count)).toBe(0);
      // Each batch finds its sessions through the index of when they ended.
      expect(await planOf(api, SESSIONS_ENDED_BEFORE, [7, 1000])).toMatch(
        /Index Scan (using|on) sessions_ended_at_idx/,
      );
    } finally {
      await restarted?.stop();
      await first.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
      await scratch?.drop();
    }
  });
});
