import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type {
  ApiKeyResponse,
  ErrorBody,
  NotificationResponse,
  Page,
  ProviderKeyResponse,
  UpgradeRequestResponse,
  UserResponse,
} from '@keyward/shared';
import { startApi, type ApiProcess } from '../support/api-process.js';
import { gatewayUser, type GatewayUser } from '../support/gateway.js';
import { call, signIn, type SignedIn } from '../support/http.js';
import { createKey, withKey } from '../support/keys.js';
import { documentedRoutes, fillPath, routeName, type DocumentedRoute } from './openapi-routes.js';

const ADMIN = { email: 'admin@keyward.test', password: 'admin-password-for-tests' };

/**
 * Parameterised routes that take no object of the caller's own, each with the reason. Every other
 * `{...}` route in the OpenAPI document must be exercised below with another user's id.
 */
const OWNERSHIP_EXEMPT: Record<string, string> = {
  'PUT /api/admin/plans/{id}': 'admin route acting on any plan; refused to non-admins below',
  'DELETE /api/admin/plans/{id}': 'admin route acting on any plan; refused to non-admins below',
  'POST /api/admin/upgrade-requests/{id}/decision':
    'admin route acting on any request; refused to non-admins below',
  'PATCH /api/admin/users/{id}': 'admin route acting on any user; refused to non-admins below',
  'POST /v1/models/{path}': 'the parameter is a public catalogue model id, owned by nobody',
};

interface Owned {
  user: GatewayUser;
  /** A second key, flagged (not revoked) by a leak report, so its owner has a notification. */
  flaggedKeyId: string;
  providerKey: ProviderKeyResponse;
  notificationId: string;
  upgradeRequestId: string;
}

describe('access control', () => {
  let api: ApiProcess;
  let routes: DocumentedRoute[];
  let a: Owned;
  let b: Owned;
  let admin: SignedIn;

  async function owner(label: string): Promise<Owned> {
    const user = await gatewayUser(api, { openai: 'good' }, { name: `${label} main key` });
    const providerKey = (
      await call<Page<ProviderKeyResponse> | ProviderKeyResponse[]>(
        api.url,
        'GET',
        '/api/provider-keys',
        { token: user.accessToken },
      )
    ).body;
    const providerKeys = Array.isArray(providerKey) ? providerKey : providerKey.items;
    const flagged = await createKey(api.url, user.accessToken, {
      name: `${label} flagged key`,
      onLeak: 'flag',
    });
    const leak = await call(api.url, 'POST', '/api/leaks', {
      body: [
        { token: flagged.key, type: 'keyward_api_key', url: 'https://x.test', source: 'content' },
      ],
    });
    expect(leak.status).toBe(200);
    const notifications = await call<Page<NotificationResponse>>(
      api.url,
      'GET',
      '/api/notifications',
      { token: user.accessToken },
    );
    const upgrade = await call<UpgradeRequestResponse>(
      api.url,
      'POST',
      '/api/plans/upgrade-requests',
      { token: user.accessToken, body: { planId: 'pro', message: `${label} wants more` } },
    );
    expect(upgrade.status).toBe(201);
    const webhook = await call(api.url, 'PUT', '/api/settings/webhook', {
      token: user.accessToken,
      body: { url: `http://127.0.0.1:9/${label}-hook` },
    });
    expect(webhook.status).toBe(200);
    // Usage of its own, recorded against the main key.
    expect((await call(api.url, 'GET', '/v1/whoami', { headers: withKey(user.key) })).status).toBe(
      200,
    );
    return {
      user,
      flaggedKeyId: flagged.id,
      providerKey: providerKeys[0]!,
      notificationId: notifications.body.items[0]!.id,
      upgradeRequestId: upgrade.body.id,
    };
  }

  beforeAll(async () => {
    api = await startApi({ env: { LOGIN_MAX_PER_IP_PER_MINUTE: '1000' } });
    routes = await documentedRoutes(api.url);
    a = await owner('alice');
    b = await owner('bob');
    admin = await signIn(api.url, ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await api.stop();
  });

  describe('object level: another user’s ids answer 404 and reveal nothing', () => {
    /** What B sends on each parameterised route, with one of A's ids. */
    const attacks = (): Record<string, { id: string; body?: unknown }> => ({
      'GET /api/api-keys/{id}': { id: a.user.keyId },
      'GET /api/api-keys/{id}/usage': { id: a.user.keyId },
      'PATCH /api/api-keys/{id}': { id: a.user.keyId, body: { name: 'taken over' } },
      'DELETE /api/api-keys/{id}': { id: a.user.keyId },
      'POST /api/api-keys/{id}/regenerate': { id: a.user.keyId, body: {} },
      'GET /api/provider-keys/{id}': { id: a.providerKey.id },
      'PUT /api/provider-keys/{id}': { id: a.providerKey.id, body: { name: 'taken over' } },
      'DELETE /api/provider-keys/{id}': { id: a.providerKey.id },
      'POST /api/provider-keys/{id}/test': { id: a.providerKey.id },
      'POST /api/notifications/{id}/read': { id: a.notificationId },
    });

    it('covers every parameterised route of the OpenAPI document, or names why not', () => {
      const parameterised = routes.filter((route) => route.path.includes('{')).map(routeName);
      const covered = new Set([...Object.keys(attacks()), ...Object.keys(OWNERSHIP_EXEMPT)]);
      expect(parameterised.filter((name) => !covered.has(name))).toEqual([]);
      // A stale entry (a route renamed or removed) would hide a gap just as well.
      expect([...covered].filter((name) => !parameterised.includes(name))).toEqual([]);
      expect(parameterised.length).toBeGreaterThanOrEqual(14);
      process.stdout.write(
        `object level: ${parameterised.length} parameterised routes, ${Object.keys(attacks()).length} attacked, ${Object.keys(OWNERSHIP_EXEMPT).length} exempt\n`,
      );
    });

    it('answers 404 not_found to B’s session and B’s full-access key on every one, and changes nothing', async () => {
      const secrets = [a.user.keyId, a.user.userId, a.user.email, 'alice', a.providerKey.maskedKey];
      let tried = 0;
      for (const [name, attack] of Object.entries(attacks())) {
        const [method, path] = name.split(' ') as [string, string];
        for (const auth of [{ token: b.user.accessToken }, { headers: withKey(b.user.key) }]) {
          const result = await call<ErrorBody>(api.url, method, fillPath(path, attack.id), {
            ...auth,
            body: attack.body,
          });
          tried += 1;
          expect({ name, status: result.status, code: result.body.code }).toEqual({
            name,
            status: 404,
            code: 'not_found',
          });
          for (const secret of secrets) expect(result.text).not.toContain(secret);
        }
      }
      expect(tried).toBe(Object.keys(attacks()).length * 2);

      // A's objects are as they were: the key live under its name, the credential kept, the
      // notification unread.
      const key = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${a.user.keyId}`, {
        token: a.user.accessToken,
      });
      expect(key.body).toMatchObject({ name: 'alice main key', status: 'active' });
      expect(
        (await call(api.url, 'GET', '/v1/whoami', { headers: withKey(a.user.key) })).status,
      ).toBe(200);
      const credential = await call<ProviderKeyResponse>(
        api.url,
        'GET',
        `/api/provider-keys/${a.providerKey.id}`,
        { token: a.user.accessToken },
      );
      expect(credential.status).toBe(200);
      expect(credential.body.name).toBe(a.providerKey.name);
      const notifications = await call<Page<NotificationResponse>>(
        api.url,
        'GET',
        '/api/notifications',
        { token: a.user.accessToken },
      );
      expect(notifications.body.items.find((n) => n.id === a.notificationId)?.readAt).toBeNull();
    });

    it('shows B none of A’s keys, credentials, notifications, audit entries, usage, requests or webhook', async () => {
      const ofA = [
        a.user.userId,
        a.user.email,
        a.user.keyId,
        a.flaggedKeyId,
        a.providerKey.id,
        a.notificationId,
        a.upgradeRequestId,
        'alice-hook',
      ];
      const lists = [
        '/api/api-keys',
        '/api/api-keys?pageSize=100',
        '/api/provider-keys',
        '/api/providers/status',
        '/api/provider-preferences',
        '/api/notifications?pageSize=100',
        '/api/audit?pageSize=100',
        '/api/plans/upgrade-requests',
        '/api/settings/webhook',
        '/api/auth/me',
      ];
      for (const path of lists) {
        const result = await call(api.url, 'GET', path, { token: b.user.accessToken });
        expect({ path, status: result.status }).toEqual({ path, status: 200 });
        for (const value of ofA) {
          expect({ path, leaked: result.text.includes(value) }).toEqual({
            path,
            leaked: false,
          });
        }
      }
      // B's own things are there, so the lists were not simply empty.
      const ownKeys = await call<Page<ApiKeyResponse>>(api.url, 'GET', '/api/api-keys', {
        token: b.user.accessToken,
      });
      expect(ownKeys.body.items.map((key) => key.id)).toContain(b.user.keyId);
      const ownWebhook = await call(api.url, 'GET', '/api/settings/webhook', {
        token: b.user.accessToken,
      });
      expect(ownWebhook.text).toContain('bob-hook');
      // Guarded usage of B's key speaks of B's key only.
      const whoami = await call(api.url, 'GET', '/v1/whoami', { headers: withKey(b.user.key) });
      expect(whoami.text).not.toContain(a.user.keyId);
    });
  });

  describe('function level: admin routes refuse every non-admin principal', () => {
    const adminRoutes = (): DocumentedRoute[] =>
      routes.filter((route) => route.path.startsWith('/api/admin/'));
    const idFor = (route: DocumentedRoute): string =>
      route.path.includes('upgrade-requests')
        ? a.upgradeRequestId
        : route.path.includes('plans')
          ? 'free'
          : a.user.userId;
    const bodyFor = (route: DocumentedRoute): unknown => {
      switch (route.bodySchema) {
        case 'UpdateUserRequest':
          return { role: 'admin', planId: 'enterprise' };
        case 'UpsertPlanRequest':
          return { name: 'Free', monthlyRequestLimit: null, monthlyCostLimitMicros: null };
        case 'DecideUpgradeRequest':
          return { status: 'approved' };
        default:
          return undefined;
      }
    };

    it('finds the admin routes in the OpenAPI document', () => {
      expect(adminRoutes().map(routeName).sort()).toEqual(
        expect.arrayContaining([
          'GET /api/admin/users',
          'PATCH /api/admin/users/{id}',
          'PUT /api/admin/plans/{id}',
          'GET /api/admin/plans',
          'DELETE /api/admin/plans/{id}',
        ]),
      );
      for (const route of adminRoutes()) {
        expect(route.bodySchema === undefined || bodyFor(route)).toBeTruthy();
      }
    });

    it('refuses them to nobody (401), and to a user’s session and keys, an admin’s non-admin keys (403)', async () => {
      const adminFullKey = await createKey(api.url, admin.accessToken, { name: 'admin everyday' });
      const adminReadKey = await createKey(api.url, admin.accessToken, {
        name: 'admin read only',
        preset: 'read_only',
      });
      const principals: Record<string, { token?: string; headers?: Record<string, string> }> = {
        'user session': { token: b.user.accessToken },
        'user full-access key': { headers: withKey(b.user.key) },
        'user full-access key as bearer': { token: b.user.key },
        'admin full-access key': { headers: withKey(adminFullKey.key) },
        'admin read-only key': { headers: withKey(adminReadKey.key) },
      };
      let refusals = 0;
      for (const route of adminRoutes()) {
        const path = fillPath(route.path, idFor(route));
        const anonymous = await call(api.url, route.method, path, { body: bodyFor(route) });
        expect({ route: routeName(route), status: anonymous.status }).toEqual({
          route: routeName(route),
          status: 401,
        });
        for (const [who, auth] of Object.entries(principals)) {
          const result = await call<ErrorBody>(api.url, route.method, path, {
            ...auth,
            body: bodyFor(route),
          });
          refusals += 1;
          expect({ route: routeName(route), who, status: result.status }).toEqual({
            route: routeName(route),
            who,
            status: 403,
          });
        }
      }
      expect(refusals).toBe(adminRoutes().length * Object.keys(principals).length);
      process.stdout.write(
        `function level: ${adminRoutes().length} admin routes x ${Object.keys(principals).length} principals\n`,
      );

      // Nothing happened: A is no admin and on the free plan, A's request still pending, the free
      // plan unchanged.
      const me = await call<{ user: UserResponse }>(api.url, 'GET', '/api/auth/me', {
        token: a.user.accessToken,
      });
      expect(me.body.user).toMatchObject({ role: 'user', planId: 'free' });
      const requests = await call<UpgradeRequestResponse[]>(
        api.url,
        'GET',
        '/api/plans/upgrade-requests',
        { token: a.user.accessToken },
      );
      expect(requests.body.find((r) => r.id === a.upgradeRequestId)?.status).toBe('pending');
    });

    it('serves them to an admin session and to an admin key holding admin:users', async () => {
      const adminKey = await createKey(api.url, admin.accessToken, {
        name: 'admin automation',
        preset: 'admin',
      });
      for (const route of adminRoutes().filter((r) => r.method === 'GET')) {
        expect((await call(api.url, 'GET', route.path, { token: admin.accessToken })).status).toBe(
          200,
        );
        expect(
          (await call(api.url, 'GET', route.path, { headers: withKey(adminKey.key) })).status,
        ).toBe(200);
      }
    });

    it('never lets a non-admin hold admin:users on a key', async () => {
      for (const body of [{ scopes: ['admin:users'] }, { preset: 'admin' }]) {
        for (const auth of [{ token: b.user.accessToken }, { headers: withKey(b.user.key) }]) {
          const result = await call<ErrorBody>(api.url, 'POST', '/api/api-keys', {
            ...auth,
            body: { name: 'escalate', ...body },
          });
          expect(result.status).toBe(403);
          expect(result.body.code).toBe('scope_not_held');
        }
      }
      const widened = await call<ErrorBody>(api.url, 'PATCH', `/api/api-keys/${b.user.keyId}`, {
        token: b.user.accessToken,
        body: { scopes: ['admin:users'] },
      });
      expect(widened.status).toBe(403);
    });
  });

  describe('mass assignment: extra fields are refused with 400 and change nothing', () => {
    const EXTRAS = {
      userId: 'usr_someone_else',
      role: 'admin',
      status: 'revoked',
      hash: 'f'.repeat(64),
      id: 'key_chosen',
      createdAt: '2000-01-01T00:00:00.000Z',
      planId: 'enterprise',
      disabled: false,
      passwordHash: 'x',
    } as const;

    it('refuses each extra field on every create and update body', async () => {
      const user = b.user;
      const bodies: {
        name: string;
        method: string;
        path: string;
        body: Record<string, unknown>;
        skip?: string[];
      }[] = [
        {
          name: 'key create',
          method: 'POST',
          path: '/api/api-keys',
          body: { name: 'mass', preset: 'read_only' },
        },
        {
          name: 'key update',
          method: 'PATCH',
          path: `/api/api-keys/${user.keyId}`,
          body: { name: 'mass' },
        },
        {
          name: 'key regenerate',
          method: 'POST',
          path: `/api/api-keys/${user.keyId}/regenerate`,
          body: {},
        },
        {
          name: 'credential create',
          method: 'POST',
          path: '/api/provider-keys',
          body: {
            provider: 'openai',
            name: 'mass',
            apiKey: b.user.providerKeys.openai,
            verify: false,
          },
        },
        {
          name: 'credential update',
          method: 'PUT',
          path: `/api/provider-keys/${b.providerKey.id}`,
          body: { name: 'mass' },
        },
        { name: 'profile', method: 'PATCH', path: '/api/auth/me', body: { name: 'mass' } },
        {
          name: 'webhook',
          method: 'PUT',
          path: '/api/settings/webhook',
          body: { url: 'http://127.0.0.1:9/mass' },
        },
        // planId is this body's own field; every other extra must still be refused.
        {
          name: 'upgrade request',
          method: 'POST',
          path: '/api/plans/upgrade-requests',
          body: { planId: 'enterprise' },
          skip: ['planId'],
        },
        {
          name: 'register',
          method: 'POST',
          path: '/api/auth/register',
          body: { email: 'mass@example.test', password: 'long-enough-password' },
        },
      ];
      let refused = 0;
      for (const target of bodies) {
        for (const [field, value] of Object.entries(EXTRAS)) {
          if (target.skip?.includes(field)) continue;
          const result = await call<ErrorBody>(api.url, target.method, target.path, {
            token: user.accessToken,
            body: { ...target.body, [field]: value },
          });
          refused += 1;
          expect({
            body: target.name,
            field,
            status: result.status,
            code: result.body.code,
          }).toEqual({
            body: target.name,
            field,
            status: 400,
            code: 'validation_failed',
          });
        }
      }
      expect(refused).toBeGreaterThanOrEqual(70);
      process.stdout.write(`mass assignment: ${refused} bodies refused\n`);

      // Read back: nothing above took effect.
      const me = await call<{ user: UserResponse }>(api.url, 'GET', '/api/auth/me', {
        token: user.accessToken,
      });
      expect(me.body.user).toMatchObject({ role: 'user', planId: 'free', disabled: false });
      expect(me.body.user.name).not.toBe('mass');
      const key = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${user.keyId}`, {
        token: user.accessToken,
      });
      expect(key.body).toMatchObject({ id: user.keyId, name: 'bob main key', status: 'active' });
      expect(
        (await call(api.url, 'GET', '/v1/whoami', { headers: withKey(user.key) })).status,
      ).toBe(200);
      const keys = await call<Page<ApiKeyResponse>>(api.url, 'GET', '/api/api-keys?name=mass', {
        token: user.accessToken,
      });
      expect(keys.body.items).toEqual([]);
      const credentials = await call<ProviderKeyResponse[] | Page<ProviderKeyResponse>>(
        api.url,
        'GET',
        '/api/provider-keys',
        { token: user.accessToken },
      );
      expect(credentials.text).not.toContain('"mass"');
      const webhook = await call(api.url, 'GET', '/api/settings/webhook', {
        token: user.accessToken,
      });
      expect(webhook.text).toContain('bob-hook');
      const requests = await call<UpgradeRequestResponse[]>(
        api.url,
        'GET',
        '/api/plans/upgrade-requests',
        {
          token: user.accessToken,
        },
      );
      expect(requests.body.map((r) => r.toPlanId)).toEqual(['pro']);
      const login = await call(api.url, 'POST', '/api/auth/login', {
        body: { email: 'mass@example.test', password: 'long-enough-password' },
      });
      expect(login.status).toBe(401);
    });

    it('refuses extra fields on the admin user patch, and scopes beyond the caller’s on keys', async () => {
      for (const field of ['id', 'email', 'passwordHash', 'createdAt', 'userId', 'hash'] as const) {
        const result = await call<ErrorBody>(
          api.url,
          'PATCH',
          `/api/admin/users/${b.user.userId}`,
          {
            token: admin.accessToken,
            body: {
              role: 'admin',
              [field]: field === 'createdAt' ? EXTRAS.createdAt : 'chosen@example.test',
            },
          },
        );
        expect({ field, status: result.status }).toEqual({ field, status: 400 });
      }
      const me = await call<{ user: UserResponse }>(api.url, 'GET', '/api/auth/me', {
        token: b.user.accessToken,
      });
      expect(me.body.user).toMatchObject({ role: 'user', email: b.user.email });

      // A key may grant, and widen itself to, at most the scopes it holds.
      const narrow = await createKey(api.url, b.user.accessToken, {
        name: 'narrow writer',
        scopes: ['keys:read', 'keys:write'],
      });
      const wider = await call<ErrorBody>(api.url, 'POST', '/api/api-keys', {
        headers: withKey(narrow.key),
        body: { name: 'wider', scopes: ['keys:write', 'providers:write'] },
      });
      expect(wider.status).toBe(403);
      expect(wider.body.code).toBe('scope_not_held');
      const widened = await call<ErrorBody>(api.url, 'PATCH', `/api/api-keys/${narrow.id}`, {
        headers: withKey(narrow.key),
        body: { scopes: ['keys:read', 'keys:write', 'audit:read'] },
      });
      expect(widened.status).toBe(403);
      const after = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${narrow.id}`, {
        token: b.user.accessToken,
      });
      expect([...after.body.scopes].sort()).toEqual(['keys:read', 'keys:write']);
    });
  });
});
