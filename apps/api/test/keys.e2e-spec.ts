import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  API_KEY_PATTERN,
  type ApiKeyResponse,
  type CreatedApiKeyResponse,
  type ErrorBody,
  type Page,
  type RegeneratedApiKeyResponse,
  type ScopeCatalogueResponse,
  type WhoAmIResponse,
} from '@keyward/shared';
import { startApi, type ApiProcess } from './support/api-process.js';
import { queryDatabase } from './support/database.js';
import { eventually } from './support/gateway.js';
import { auditEvents, call, signIn, signUp, type SignedIn } from './support/http.js';
import { createKey, withKey } from './support/keys.js';

const ADMIN = { email: 'admin@keyward.test', password: 'admin-password-for-tests' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('issued API keys', () => {
  let api: ApiProcess;
  let owner: SignedIn;
  const whoami = (key: string, header: 'x-api-key' | 'bearer' = 'x-api-key') =>
    call<WhoAmIResponse & ErrorBody>(api.url, 'GET', '/v1/whoami', {
      headers: header === 'x-api-key' ? { 'x-api-key': key } : { authorization: `Bearer ${key}` },
    });

  beforeAll(async () => {
    api = await startApi({
      env: {
        LOGIN_MAX_PER_IP_PER_MINUTE: '1000',
        KEY_ACTIVITY_FLUSH_MS: '100',
        KEY_LAST_USED_RESOLUTION_SECONDS: '0',
        INVALID_KEY_MAX_PER_IP_PER_MINUTE: '1000',
      },
    });
    owner = await signUp(api.url, 'owner');
  });
  afterAll(async () => {
    await api.stop();
  });

  it('publishes the scope catalogue with presets from least to most', async () => {
    const result = await call<ScopeCatalogueResponse>(api.url, 'GET', '/api/api-keys/scopes', {
      token: owner.accessToken,
    });
    expect(result.status).toBe(200);
    expect(result.body.presets.map((preset) => preset.name)).toEqual([
      'read_only',
      'generate_only',
      'full_access',
      'admin',
    ]);
    const scopes = result.body.scopes.map((entry) => entry.scope);
    expect(scopes).toEqual(
      expect.arrayContaining(['models:read', 'generate', 'usage:read', 'keys:write']),
    );
    expect(result.body.scopes.find((entry) => entry.scope === 'admin:users')?.adminOnly).toBe(true);
  });

  it('shows a new key once, in the documented format, and stores only its hash', async () => {
    const created = await call<CreatedApiKeyResponse>(api.url, 'POST', '/api/api-keys', {
      token: owner.accessToken,
      body: {
        name: 'ci deploy',
        description: 'used by CI',
        preset: 'generate_only',
        prefix: 'acme',
      },
    });
    expect(created.status).toBe(201);
    const { key, id, maskedKey } = created.body;
    expect(key).toMatch(API_KEY_PATTERN);
    expect(key.startsWith('acme_')).toBe(true);
    expect(id).toMatch(/^key_/);
    expect(maskedKey).toBe(`acme_${key.slice(5, 9)}…${key.slice(-4)}`);
    expect(created.body).toMatchObject({
      status: 'active',
      scopes: ['models:read', 'generate'],
      expiresAt: null,
      rateLimit: { limit: 1000, windowSeconds: 3600 },
    });

    const fetched = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${id}`, {
      token: owner.accessToken,
    });
    expect(fetched.status).toBe(200);
    expect(fetched.text).not.toContain(key);
    expect(fetched.text).not.toContain(key.slice(5, -4));
    const listed = await call<Page<ApiKeyResponse>>(api.url, 'GET', '/api/api-keys', {
      token: owner.accessToken,
    });
    expect(listed.text).not.toContain(key);

    if (api.env.DATABASE_URL) {
      const rows = await queryDatabase(
        api,
        `SELECT k.*, s.key_hash FROM api_keys k JOIN api_key_secrets s ON s.key_id = k.id WHERE k.id = $1`,
        [id],
      );
      expect(rows).toHaveLength(1);
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(key.slice(5, -4));
      expect(rows[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('verifies a key from Authorization: Bearer or X-API-Key on a guarded route', async () => {
    const created = await createKey(api.url, owner.accessToken, {
      name: 'whoami',
      preset: 'read_only',
    });
    for (const header of ['x-api-key', 'bearer'] as const) {
      const result = await whoami(created.key, header);
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ id: created.id, name: 'whoami', scopes: created.scopes });
    }
  });

  it('answers missing, malformed and unknown keys with coded 401s', async () => {
    const missing = await call<ErrorBody>(api.url, 'GET', '/v1/whoami');
    expect([missing.status, missing.body.code]).toEqual([401, 'missing_key']);
    const { key } = await createKey(api.url, owner.accessToken);
    const wrongChecksum = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const candidate of ['garbage', wrongChecksum, key.toUpperCase(), `${key} `.repeat(3)]) {
      const result = await whoami(candidate);
      expect([result.status, result.body.code]).toEqual([401, 'invalid_key']);
    }
  });

  it('refuses a key whose expiry has passed with key_expired', async () => {
    // Long enough for the first call to land before it on a busy machine.
    const soon = new Date(Date.now() + 4_000).toISOString();
    const created = await createKey(api.url, owner.accessToken, { expiresAt: soon });
    expect((await whoami(created.key)).status).toBe(200);
    await sleep(Math.max(0, Date.parse(soon) - Date.now() + 300));
    const result = await whoami(created.key);
    expect([result.status, result.body.code]).toEqual([401, 'key_expired']);
    const fetched = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${created.id}`, {
      token: owner.accessToken,
    });
    expect(fetched.body.status).toBe('expired');
  });

  it('revokes at once: the very next request fails, and the row is kept', async () => {
    const created = await createKey(api.url, owner.accessToken);
    expect((await whoami(created.key)).status).toBe(200); // now cached
    const revoke = await call(api.url, 'DELETE', `/api/api-keys/${created.id}`, {
      token: owner.accessToken,
    });
    expect(revoke.status).toBe(204);
    const after = await whoami(created.key);
    expect([after.status, after.body.code]).toEqual([401, 'key_revoked']);
    const again = await call(api.url, 'DELETE', `/api/api-keys/${created.id}`, {
      token: owner.accessToken,
    });
    expect(again.status).toBe(204);
    const fetched = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${created.id}`, {
      token: owner.accessToken,
    });
    expect(fetched.body.status).toBe('revoked');
    expect(fetched.body.revokedAt).not.toBeNull();
  });

  it('regenerates without grace: same id, the old secret stops at once, the new one works', async () => {
    const created = await createKey(api.url, owner.accessToken, { expiresInDays: 30 });
    expect((await whoami(created.key)).status).toBe(200);
    const regenerated = await call<RegeneratedApiKeyResponse>(
      api.url,
      'POST',
      `/api/api-keys/${created.id}/regenerate`,
      { token: owner.accessToken, body: {} },
    );
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.id).toBe(created.id);
    expect(regenerated.body.key).not.toBe(created.key);
    expect(regenerated.body.expiresAt).toBe(created.expiresAt);
    expect(regenerated.body.previousKeyExpiresAt).toBeNull();
    expect((await whoami(created.key)).body.code).toBe('key_revoked');
    expect((await whoami(regenerated.body.key)).body.id).toBe(created.id);
  });

  it('regenerates with a grace period: both secrets work until it ends', async () => {
    const created = await createKey(api.url, owner.accessToken);
    const regenerated = await call<RegeneratedApiKeyResponse>(
      api.url,
      'POST',
      `/api/api-keys/${created.id}/regenerate`,
      { token: owner.accessToken, body: { gracePeriodSeconds: 2 } },
    );
    expect(regenerated.body.previousKeyExpiresAt).not.toBeNull();
    expect((await whoami(created.key)).status).toBe(200);
    expect((await whoami(regenerated.body.key)).status).toBe(200);
    await sleep(2_300);
    expect((await whoami(created.key)).body.code).toBe('key_revoked');
    expect((await whoami(regenerated.body.key)).status).toBe(200);
  });

  it('refuses to regenerate or edit a revoked key', async () => {
    const created = await createKey(api.url, owner.accessToken);
    await call(api.url, 'DELETE', `/api/api-keys/${created.id}`, { token: owner.accessToken });
    const regenerate = await call<ErrorBody>(
      api.url,
      'POST',
      `/api/api-keys/${created.id}/regenerate`,
      {
        token: owner.accessToken,
        body: {},
      },
    );
    expect([regenerate.status, regenerate.body.code]).toEqual([409, 'key_not_active']);
    const edit = await call<ErrorBody>(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
      token: owner.accessToken,
      body: { name: 'renamed' },
    });
    expect([edit.status, edit.body.code]).toEqual([409, 'key_not_active']);
    expect(edit.body.message).toMatch(/revoked/);
  });

  it('refuses to regenerate or edit an expired key, and leaves it unchanged', async () => {
    const soon = new Date(Date.now() + 1_000).toISOString();
    const created = await createKey(api.url, owner.accessToken, {
      name: 'short-lived',
      expiresAt: soon,
    });
    await sleep(Math.max(0, Date.parse(soon) - Date.now() + 300));
    const edit = await call<ErrorBody>(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
      token: owner.accessToken,
      body: { name: 'renamed', expiresAt: null },
    });
    expect([edit.status, edit.body.code]).toEqual([409, 'key_not_active']);
    expect(edit.body.message).toMatch(/expired/);
    const regenerate = await call<ErrorBody>(
      api.url,
      'POST',
      `/api/api-keys/${created.id}/regenerate`,
      { token: owner.accessToken, body: {} },
    );
    expect([regenerate.status, regenerate.body.code]).toEqual([409, 'key_not_active']);
    const fetched = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${created.id}`, {
      token: owner.accessToken,
    });
    expect(fetched.body).toMatchObject({ name: 'short-lived', status: 'expired', expiresAt: soon });
    const updates = await auditEvents(
      api.url,
      owner.accessToken,
      '?action=key.update&pageSize=100',
    );
    expect(updates.filter((event) => event.targetId === created.id)).toEqual([]);
  });

  it("answers 404 for another user's key on every route, and changes nothing", async () => {
    const created = await createKey(api.url, owner.accessToken);
    const intruder = await signUp(api.url, 'intruder');
    const attempts = [
      call<ErrorBody>(api.url, 'GET', `/api/api-keys/${created.id}`, {
        token: intruder.accessToken,
      }),
      call<ErrorBody>(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
        token: intruder.accessToken,
        body: { name: 'mine now' },
      }),
      call<ErrorBody>(api.url, 'DELETE', `/api/api-keys/${created.id}`, {
        token: intruder.accessToken,
      }),
      call<ErrorBody>(api.url, 'POST', `/api/api-keys/${created.id}/regenerate`, {
        token: intruder.accessToken,
        body: {},
      }),
    ];
    for (const result of await Promise.all(attempts)) {
      expect([result.status, result.body.code]).toEqual([404, 'not_found']);
    }
    const intruderList = await call<Page<ApiKeyResponse>>(api.url, 'GET', '/api/api-keys', {
      token: intruder.accessToken,
    });
    expect(intruderList.body.items).toEqual([]);
    const untouched = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${created.id}`, {
      token: owner.accessToken,
    });
    expect(untouched.body).toMatchObject({ name: 'test key', status: 'active' });
    expect((await whoami(created.key)).status).toBe(200);
  });

  it('refuses mass-assignment fields on create and update', async () => {
    for (const extra of [
      { userId: 'usr_other' },
      { status: 'active' },
      { keyHash: 'x' },
      { id: 'key_x' },
    ]) {
      const result = await call<ErrorBody>(api.url, 'POST', '/api/api-keys', {
        token: owner.accessToken,
        body: { name: 'x', preset: 'read_only', ...extra },
      });
      expect([result.status, result.body.code]).toEqual([400, 'validation_failed']);
    }
    const created = await createKey(api.url, owner.accessToken);
    const update = await call<ErrorBody>(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
      token: owner.accessToken,
      body: { revokedAt: null, prefix: 'evil' },
    });
    expect(update.status).toBe(400);
  });

  it('validates create bodies with clear messages', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: 'x' }, /scopes .*or a preset/],
      [{ name: 'x', preset: 'read_only', scopes: ['generate'] }, /either scopes or preset/],
      [{ name: 'x', scopes: ['keys:fly'] }, /catalogue/],
      [{ name: 'x', preset: 'read_only', expiresInDays: 1826 }, /expiresInDays/],
      [{ name: 'x', preset: 'read_only', expiresAt: '2001-01-01T00:00:00Z' }, /future/],
      [{ name: 'x', preset: 'read_only', rateLimit: { limit: 0, windowSeconds: 60 } }, /limit/],
      [{ name: 'x', preset: 'read_only', prefix: 'Has_Caps' }, /prefix/],
      [{ name: 'x', preset: 'read_only', allowedModels: ['gpt-4o'] }, /provider\/model/],
      [{ name: 'x', preset: 'read_only', metadata: { nested: { a: 1 } } }, /metadata/],
    ];
    for (const [body, message] of cases) {
      const result = await call<ErrorBody>(api.url, 'POST', '/api/api-keys', {
        token: owner.accessToken,
        body,
      });
      expect({ body, status: result.status }).toEqual({ body, status: 400 });
      expect(result.body.message).toMatch(message);
      // Each names its field, so a form can show it there.
      expect({ body, field: result.body.errors?.[0]?.messages.join(' ') }).toEqual({
        body,
        field: expect.stringMatching(message),
      });
    }
    // An expiry five years ahead is taken in days as in a date.
    const inDays = await createKey(api.url, owner.accessToken, { expiresInDays: 1825 });
    const years = (Date.parse(inDays.expiresAt ?? '') - Date.now()) / (365 * 86_400_000);
    expect(years).toBeCloseTo(5, 1);
  });

  it('refuses unstorable values and absurd pages with 400, never 500', async () => {
    const nul = await call<ErrorBody>(api.url, 'POST', '/api/api-keys', {
      token: owner.accessToken,
      body: { name: 'bad\u0000name', preset: 'read_only' },
    });
    expect(nul.status).toBe(400);
    const search = await call(api.url, 'GET', '/api/api-keys?name=%00', {
      token: owner.accessToken,
    });
    expect(search.status).toBe(400);
    const page = await call(api.url, 'GET', '/api/api-keys?page=99999999999999999999', {
      token: owner.accessToken,
    });
    expect(page.status).toBe(400);
  });

  describe('scopes', () => {
    it('lets a key call only the routes its scopes name (403 insufficient_scope naming the scope)', async () => {
      const generateOnly = await createKey(api.url, owner.accessToken, { preset: 'generate_only' });
      const denied = await call<ErrorBody>(api.url, 'GET', '/api/api-keys', {
        headers: withKey(generateOnly.key),
      });
      expect([denied.status, denied.body.code]).toEqual([403, 'insufficient_scope']);
      expect(denied.body.message).toContain('keys:read');

      const readOnly = await createKey(api.url, owner.accessToken, { preset: 'read_only' });
      const listed = await call<Page<ApiKeyResponse>>(api.url, 'GET', '/api/api-keys', {
        headers: withKey(readOnly.key),
      });
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((item) => item.id)).toContain(generateOnly.id);
      const cannotWrite = await call<ErrorBody>(api.url, 'POST', '/api/api-keys', {
        headers: withKey(readOnly.key),
        body: { name: 'x', preset: 'read_only' },
      });
      expect(cannotWrite.body.code).toBe('insufficient_scope');
      const notAdmin = await call<ErrorBody>(api.url, 'GET', '/api/admin/users', {
        headers: withKey(readOnly.key),
      });
      expect(notAdmin.body.code).toBe('insufficient_scope');
    });

    it("never lets an API key change its owner's password or profile", async () => {
      const full = await createKey(api.url, owner.accessToken, { preset: 'full_access' });
      for (const [method, path, body] of [
        ['POST', '/api/auth/password', { currentPassword: 'x', newPassword: 'y'.repeat(12) }],
        ['PATCH', '/api/auth/me', { name: 'taken over' }],
      ] as const) {
        const result = await call<ErrorBody>(api.url, method, path, {
          headers: withKey(full.key),
          body,
        });
        expect(result.status).toBe(401);
      }
    });

    it('never lets a key or a user grant scopes it does not hold', async () => {
      const writer = await createKey(api.url, owner.accessToken, {
        scopes: ['keys:read', 'keys:write'],
      });
      const escalate = await call<ErrorBody>(api.url, 'POST', '/api/api-keys', {
        headers: withKey(writer.key),
        body: { name: 'escalated', scopes: ['keys:read', 'generate'] },
      });
      expect([escalate.status, escalate.body.code]).toEqual([403, 'scope_not_held']);
      expect(escalate.body.message).toContain('generate');
      const within = await call<CreatedApiKeyResponse>(api.url, 'POST', '/api/api-keys', {
        headers: withKey(writer.key),
        body: { name: 'narrower', scopes: ['keys:read'] },
      });
      expect(within.status).toBe(201);
      const widen = await call<ErrorBody>(api.url, 'PATCH', `/api/api-keys/${within.body.id}`, {
        headers: withKey(writer.key),
        body: { scopes: ['keys:read', 'providers:write'] },
      });
      expect(widen.body.code).toBe('scope_not_held');

      const adminPreset = await call<ErrorBody>(api.url, 'POST', '/api/api-keys', {
        token: owner.accessToken,
        body: { name: 'x', preset: 'admin' },
      });
      expect([adminPreset.status, adminPreset.body.code]).toEqual([403, 'scope_not_held']);
    });

    it('never lets a key regenerate or edit a key more powerful than itself', async () => {
      const broad = await createKey(api.url, owner.accessToken, { preset: 'full_access' });
      const writer = await createKey(api.url, owner.accessToken, {
        scopes: ['keys:read', 'keys:write'],
      });
      const regenerate = await call<ErrorBody>(
        api.url,
        'POST',
        `/api/api-keys/${broad.id}/regenerate`,
        {
          headers: withKey(writer.key),
          body: {},
        },
      );
      expect([regenerate.status, regenerate.body.code]).toEqual([403, 'scope_not_held']);
      const loosen = await call<ErrorBody>(api.url, 'PATCH', `/api/api-keys/${broad.id}`, {
        headers: withKey(writer.key),
        body: { expiresAt: null, rateLimit: { limit: 10000, windowSeconds: 1 } },
      });
      expect(loosen.body.code).toBe('scope_not_held');
      expect((await whoami(broad.key)).status).toBe(200);
    });

    it('lets an admin issue admin keys, which lose that power if the owner is demoted', async () => {
      const admin = await signIn(api.url, ADMIN.email, ADMIN.password);
      const deputy = await signUp(api.url, 'deputy');
      await call(api.url, 'PATCH', `/api/admin/users/${deputy.userId}`, {
        token: admin.accessToken,
        body: { role: 'admin' },
      });
      const deputyAdmin = await signIn(api.url, deputy.email, deputy.password);
      const adminKey = await createKey(api.url, deputyAdmin.accessToken, { preset: 'admin' });
      expect(
        (await call(api.url, 'GET', '/api/admin/users', { headers: withKey(adminKey.key) })).status,
      ).toBe(200);

      await call(api.url, 'PATCH', `/api/admin/users/${deputy.userId}`, {
        token: admin.accessToken,
        body: { role: 'user' },
      });
      const after = await call<ErrorBody>(api.url, 'GET', '/api/admin/users', {
        headers: withKey(adminKey.key),
      });
      expect([after.status, after.body.code]).toEqual([403, 'insufficient_scope']);
    });

    it("stops a disabled user's keys at once", async () => {
      const admin = await signIn(api.url, ADMIN.email, ADMIN.password);
      const user = await signUp(api.url, 'to-disable');
      const first = await createKey(api.url, user.accessToken);
      const replaced = first.key;
      const regenerated = await call<RegeneratedApiKeyResponse>(
        api.url,
        'POST',
        `/api/api-keys/${first.id}/regenerate`,
        { token: user.accessToken, body: {} },
      );
      const created = { ...first, key: regenerated.body.key };
      expect((await whoami(created.key)).status).toBe(200);
      await call(api.url, 'PATCH', `/api/admin/users/${user.userId}`, {
        token: admin.accessToken,
        body: { disabled: true },
      });
      const refused = await whoami(created.key);
      expect([refused.status, refused.body.code]).toEqual([401, 'key_revoked']);
      expect(refused.body.message).toBe("This API key's owner account is disabled");
      // A secret replaced before is told only that, nothing of the account.
      expect((await whoami(replaced)).body.message).toBe(
        'This API key was regenerated; use the new key',
      );
      // Enabled again, the same key works again.
      await call(api.url, 'PATCH', `/api/admin/users/${user.userId}`, {
        token: admin.accessToken,
        body: { disabled: false },
      });
      expect((await whoami(created.key)).status).toBe(200);
    });
  });

  describe('editing and listing', () => {
    it('edits name, description, scopes, limits, models, metadata and expiry', async () => {
      const created = await createKey(api.url, owner.accessToken, {
        preset: 'read_only',
        metadata: { team: 'search', tier: 1 },
      });
      const edited = await call<ApiKeyResponse>(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
        token: owner.accessToken,
        body: {
          name: 'renamed',
          description: 'now documented',
          scopes: ['models:read'],
          rateLimit: { limit: 5, windowSeconds: 10 },
          allowedModels: ['openai/gpt-4o-mini', 'anthropic/*'],
          metadata: { team: 'billing' },
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
      });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({
        name: 'renamed',
        description: 'now documented',
        scopes: ['models:read'],
        rateLimit: { limit: 5, windowSeconds: 10 },
        allowedModels: ['openai/gpt-4o-mini', 'anthropic/*'],
      });
      // Metadata is replaced whole, and checked as at creation.
      expect(edited.body.metadata).toEqual({ team: 'billing' });
      const nested = await call<ErrorBody>(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
        token: owner.accessToken,
        body: { metadata: { nested: { a: 1 } } },
      });
      expect([nested.status, nested.body.errors?.[0]?.field]).toEqual([400, 'metadata']);
      // The cached verification picks up the edit at once.
      expect((await whoami(created.key)).body.scopes).toEqual(['models:read']);
      const never = await call<ApiKeyResponse>(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
        token: owner.accessToken,
        body: { expiresAt: null },
      });
      expect(never.body.expiresAt).toBeNull();
    });

    it('answers an empty edit with the key unchanged and records no audit entry', async () => {
      const created = await createKey(api.url, owner.accessToken, { name: 'left alone' });
      const updatesOf = async () =>
        (await auditEvents(api.url, owner.accessToken, '?action=key.update&pageSize=100')).filter(
          (event) => event.targetId === created.id,
        );
      const empty = await call<ApiKeyResponse>(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
        token: owner.accessToken,
        body: {},
      });
      expect(empty.status).toBe(200);
      expect(empty.body).toMatchObject({
        id: created.id,
        name: 'left alone',
        status: 'active',
        updatedAt: created.updatedAt,
      });
      expect(await updatesOf()).toEqual([]);
      // A real edit right after is still recorded, with what it changed.
      await call(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
        token: owner.accessToken,
        body: { name: 'touched' },
      });
      expect((await updatesOf()).map((event) => event.details)).toEqual([{ changed: ['name'] }]);
    });

    it('trims key names and refuses blank ones on create and edit', async () => {
      const blankCreate = await call<ErrorBody>(api.url, 'POST', '/api/api-keys', {
        token: owner.accessToken,
        body: { name: '   ', preset: 'read_only' },
      });
      expect([blankCreate.status, blankCreate.body.code]).toEqual([400, 'validation_failed']);
      expect(blankCreate.body.errors).toEqual([
        { field: 'name', messages: ['name must not be blank'] },
      ]);
      const created = await createKey(api.url, owner.accessToken, { name: '  padded name  ' });
      expect(created.name).toBe('padded name');
      const blankEdit = await call<ErrorBody>(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
        token: owner.accessToken,
        body: { name: ' \t ' },
      });
      expect([blankEdit.status, blankEdit.body.code]).toEqual([400, 'validation_failed']);
      expect(blankEdit.body.errors).toEqual([
        { field: 'name', messages: ['name must not be blank'] },
      ]);
      const fetched = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${created.id}`, {
        token: owner.accessToken,
      });
      expect(fetched.body.name).toBe('padded name');
    });

    it('lists with filters, paging, last use and 30-day request counts', async () => {
      const user = await signUp(api.url, 'lister');
      const used = await createKey(api.url, user.accessToken, { name: 'alpha used' });
      await createKey(api.url, user.accessToken, { name: 'beta idle' });
      const revoked = await createKey(api.url, user.accessToken, { name: 'gamma revoked' });
      await call(api.url, 'DELETE', `/api/api-keys/${revoked.id}`, { token: user.accessToken });
      for (let i = 0; i < 3; i += 1) expect((await whoami(used.key)).status).toBe(200);
      // Activity is written by a periodic flush, not per request.
      const all = await eventually(
        () =>
          call<Page<ApiKeyResponse>>(api.url, 'GET', '/api/api-keys', {
            token: user.accessToken,
          }),
        (listed) =>
          listed.body.items.some((item) => item.id === used.id && item.requestsLast30Days === 3),
        5_000,
      );
      expect(all.body.total).toBe(3);
      const byId = new Map(all.body.items.map((item) => [item.id, item]));
      expect(byId.get(used.id)?.requestsLast30Days).toBe(3);
      expect(byId.get(used.id)?.lastUsedAt).not.toBeNull();
      expect(byId.get(revoked.id)?.requestsLast30Days).toBe(0);
      if (api.env.DATABASE_URL) {
        const secrets = await queryDatabase<{ last_used_at: Date | null }>(
          api,
          'SELECT last_used_at FROM api_key_secrets WHERE key_id = $1',
          [used.id],
        );
        expect(secrets[0]?.last_used_at).not.toBeNull();
      }

      const active = await call<Page<ApiKeyResponse>>(
        api.url,
        'GET',
        '/api/api-keys?status=active',
        {
          token: user.accessToken,
        },
      );
      expect(active.body.items.map((item) => item.name).sort()).toEqual([
        'alpha used',
        'beta idle',
      ]);
      const named = await call<Page<ApiKeyResponse>>(api.url, 'GET', '/api/api-keys?name=GAMMA', {
        token: user.accessToken,
      });
      expect(named.body.items.map((item) => item.id)).toEqual([revoked.id]);
      const wildcard = await call<Page<ApiKeyResponse>>(api.url, 'GET', '/api/api-keys?name=%25', {
        token: user.accessToken,
      });
      expect(wildcard.body.total).toBe(0);
      const paged = await call<Page<ApiKeyResponse>>(
        api.url,
        'GET',
        '/api/api-keys?page=2&pageSize=2',
        {
          token: user.accessToken,
        },
      );
      expect(paged.body).toMatchObject({ page: 2, pageSize: 2, total: 3 });
      expect(paged.body.items).toHaveLength(1);
      const badStatus = await call(api.url, 'GET', '/api/api-keys?status=deleted', {
        token: user.accessToken,
      });
      expect(badStatus.status).toBe(400);
    });
  });

  describe('per-key rate limits', () => {
    it("applies the key's own limit across routes, with RateLimit headers and a coded 429", async () => {
      const created = await createKey(api.url, owner.accessToken, {
        preset: 'read_only',
        rateLimit: { limit: 3, windowSeconds: 60 },
      });
      const first = await whoami(created.key);
      expect(first.headers.get('ratelimit-limit')).toBe('3');
      expect(first.headers.get('ratelimit-remaining')).toBe('2');
      expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
      // A management route counts against the same key.
      const second = await call(api.url, 'GET', '/api/api-keys', { headers: withKey(created.key) });
      expect(second.headers.get('ratelimit-remaining')).toBe('1');
      expect((await whoami(created.key)).status).toBe(200);
      const limited = await whoami(created.key);
      expect([limited.status, limited.body.code]).toEqual([429, 'rate_limited']);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // The full window still weighs after it ends: Reset promises no earlier than Retry-After.
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      expect(limited.headers.get('ratelimit-reset')).toBe(limited.headers.get('retry-after'));
      // Another key of the same user is unaffected.
      const other = await createKey(api.url, owner.accessToken, { preset: 'read_only' });
      expect((await whoami(other.key)).status).toBe(200);
    });

    it('admits exactly the limit under concurrency', async () => {
      const created = await createKey(api.url, owner.accessToken, {
        preset: 'read_only',
        rateLimit: { limit: 25, windowSeconds: 60 },
      });
      const results = await Promise.all(Array.from({ length: 250 }, () => whoami(created.key)));
      expect(results.filter((result) => result.status === 200)).toHaveLength(25);
      expect(results.filter((result) => result.status === 429)).toHaveLength(225);
    });
  });

  it('throttles a flood of invalid keys per IP', async () => {
    const flood = await startApi({ env: { INVALID_KEY_MAX_PER_IP_PER_MINUTE: '10' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 14; i += 1) {
        statuses.push(
          (await call(flood.url, 'GET', '/v1/whoami', { headers: withKey(`kw_${'x'.repeat(38)}`) }))
            .status,
        );
      }
      expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
      expect(statuses.slice(10).every((status) => status === 429)).toBe(true);
    } finally {
      await flood.stop();
    }
  });
});
