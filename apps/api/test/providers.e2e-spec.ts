import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  PROVIDER_IDS,
  type AuditEventResponse,
  type ErrorBody,
  type NotificationResponse,
  type Page,
  type ProviderInfo,
  type ProviderKeyResponse,
  type ProviderKeyTestResponse,
  type ProviderPreferencesResponse,
  type ProviderStatusEntry,
} from '@keyward/shared';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { startApi, type ApiProcess } from './support/api-process.js';
import { createScratchDatabase, queryDatabase, usesEmbeddedDatabase } from './support/database.js';
import { fakeKey, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { eventually } from './support/gateway.js';
import { auditEvents, call, type SignedIn, signUp } from './support/http.js';
import { createKey } from './support/keys.js';

describe('provider credential vault', () => {
  let upstream: FakeUpstream;
  let api: ApiProcess;
  let user: SignedIn;
  const addKey = (token: string, body: Record<string, unknown>) =>
    call<ProviderKeyResponse & ErrorBody>(api.url, 'POST', '/api/provider-keys', { token, body });
  const testKey = (token: string, id: string) =>
    call<ProviderKeyTestResponse>(api.url, 'POST', `/api/provider-keys/${id}/test`, { token });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    api = await startApi({
      env: { ...upstream.envFor(), PROVIDER_VERIFY_TIMEOUT_MS: '1000', LOG_LEVEL: 'trace' },
    });
    user = await signUp(api.url, 'vault');
  });
  afterAll(async () => {
    await api.stop();
    await upstream.stop();
  });

  it('publishes the catalogue of seven providers with models, prices and key hints', async () => {
    const result = await call<ProviderInfo[]>(api.url, 'GET', '/api/providers', {
      token: user.accessToken,
    });
    expect(result.body.map((provider) => provider.id)).toEqual([...PROVIDER_IDS]);
    for (const provider of result.body) {
      expect(provider.models.length).toBeGreaterThan(0);
      expect(provider.keyHint.example).toBeTruthy();
    }
    expect(JSON.stringify(result.body)).not.toContain('127.0.0.1');
  });

  it.each(PROVIDER_IDS)(
    'adds, tests, replaces and deletes a %s credential, never showing the secret',
    async (provider) => {
      const good = fakeKey(provider, 'good');
      const created = await addKey(user.accessToken, {
        provider,
        name: `${provider} main`,
        apiKey: good,
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ provider, status: 'valid', lastError: null });
      expect(created.body.maskedKey).toBe(`${good.slice(0, 3)}...${good.slice(-4)}`);
      expect(created.text).not.toContain(good);

      const tested = await testKey(user.accessToken, created.body.id);
      expect(tested.body).toMatchObject({ status: 'valid', httpStatus: expect.any(Number) });
      expect(tested.body.latencyMs).toBeGreaterThanOrEqual(0);

      const bad = fakeKey(provider, 'bad');
      const replaced = await call<ProviderKeyResponse>(
        api.url,
        'PUT',
        `/api/provider-keys/${created.body.id}`,
        {
          token: user.accessToken,
          body: { apiKey: bad, name: `${provider} replaced` },
        },
      );
      expect(replaced.body).toMatchObject({ status: 'invalid', name: `${provider} replaced` });
      expect(replaced.body.maskedKey.endsWith(bad.slice(-4))).toBe(true);
      expect(replaced.text).not.toContain(bad);

      const listed = await call<ProviderKeyResponse[]>(api.url, 'GET', '/api/provider-keys', {
        token: user.accessToken,
      });
      expect(listed.body.map((key) => key.id)).toContain(created.body.id);
      expect(listed.text).not.toContain(bad);

      expect(
        (
          await call(api.url, 'DELETE', `/api/provider-keys/${created.body.id}`, {
            token: user.accessToken,
          })
        ).status,
      ).toBe(204);
      expect(
        (
          await call(api.url, 'GET', `/api/provider-keys/${created.body.id}`, {
            token: user.accessToken,
          })
        ).status,
      ).toBe(404);
    },
  );

  it('reports quota, rate limits, provider errors and timeouts truthfully', async () => {
    const cases = [
      ['openai', 'quota', 'insufficient_quota'],
      ['anthropic', 'quota', 'insufficient_quota'],
      ['runway', 'quota', 'insufficient_quota'],
      ['mistral', 'ratelimit', 'rate_limited'],
      ['together', 'error', 'error'],
      ['deepinfra', 'slow', 'error'],
    ] as const;
    for (const [provider, marker, status] of cases) {
      const created = await addKey(user.accessToken, {
        provider,
        name: marker,
        apiKey: fakeKey(provider, marker),
      });
      expect({ provider, marker, status: created.body.status }).toEqual({
        provider,
        marker,
        status,
      });
      expect(created.body.lastError).toBeTruthy();
    }
  });

  it('stores a key unverified when asked, without calling the provider', async () => {
    const before = upstream.requests.length;
    const created = await addKey(user.accessToken, {
      provider: 'openai',
      name: 'later',
      apiKey: fakeKey('openai', 'good'),
      verify: false,
    });
    expect(created.body.status).toBe('unverified');
    expect(upstream.requests.length).toBe(before);
  });

  it('shows a truthful status per provider', async () => {
    const fresh = await signUp(api.url, 'status');
    await addKey(fresh.accessToken, {
      provider: 'openai',
      name: 'a',
      apiKey: fakeKey('openai', 'bad'),
    });
    await addKey(fresh.accessToken, {
      provider: 'openai',
      name: 'b',
      apiKey: fakeKey('openai', 'good'),
    });
    await addKey(fresh.accessToken, {
      provider: 'anthropic',
      name: 'c',
      apiKey: fakeKey('anthropic', 'bad'),
    });
    const result = await call<ProviderStatusEntry[]>(api.url, 'GET', '/api/providers/status', {
      token: fresh.accessToken,
    });
    const byProvider = new Map(result.body.map((entry) => [entry.provider, entry]));
    expect(byProvider.get('openai')).toMatchObject({ status: 'valid', keyCount: 2 });
    expect(byProvider.get('openai')?.lastCheckedAt).not.toBeNull();
    expect(byProvider.get('anthropic')).toMatchObject({ status: 'invalid', keyCount: 1 });
    expect(byProvider.get('mistral')).toMatchObject({
      status: 'not_configured',
      keyCount: 0,
      lastCheckedAt: null,
    });
  });

  it("answers 404 for another user's credential on every route", async () => {
    const created = await addKey(user.accessToken, {
      provider: 'openai',
      name: 'mine',
      apiKey: fakeKey('openai', 'good'),
    });
    const intruder = await signUp(api.url, 'intruder');
    const id = created.body.id;
    const attempts = await Promise.all([
      call<ErrorBody>(api.url, 'GET', `/api/provider-keys/${id}`, { token: intruder.accessToken }),
      call<ErrorBody>(api.url, 'PUT', `/api/provider-keys/${id}`, {
        token: intruder.accessToken,
        body: { name: 'x' },
      }),
      call<ErrorBody>(api.url, 'DELETE', `/api/provider-keys/${id}`, {
        token: intruder.accessToken,
      }),
      call<ErrorBody>(api.url, 'POST', `/api/provider-keys/${id}/test`, {
        token: intruder.accessToken,
      }),
    ]);
    for (const attempt of attempts) {
      expect([attempt.status, attempt.body.code]).toEqual([404, 'not_found']);
    }
    const mine = await call<ProviderKeyResponse>(api.url, 'GET', `/api/provider-keys/${id}`, {
      token: user.accessToken,
    });
    expect(mine.body.name).toBe('mine');
  });

  it('refuses unknown providers, user-chosen base URLs and other extra fields', async () => {
    const cases = [
      { provider: 'acme', name: 'x', apiKey: 'sk-0123456789abcdef' },
      {
        provider: 'openai',
        name: 'x',
        apiKey: 'sk-0123456789abcdef',
        baseUrl: 'http://169.254.169.254',
      },
      { provider: 'openai', name: 'x', apiKey: 'short' },
      { provider: 'openai', name: 'x', apiKey: '          ' },
      { provider: 'openai', name: '   ', apiKey: 'sk-0123456789abcdef' },
      { provider: 'openai', name: 'x', apiKey: 'sk-0123456789abcdef', userId: 'usr_other' },
    ];
    for (const body of cases) {
      const result = await addKey(user.accessToken, body);
      expect([result.status, result.body.code]).toEqual([400, 'validation_failed']);
      expect(result.text).not.toContain('sk-0123456789abcdef');
    }
  });

  it('keeps the fallback order per capability', async () => {
    const set = await call<ProviderPreferencesResponse>(
      api.url,
      'PUT',
      '/api/provider-preferences',
      {
        token: user.accessToken,
        body: { capability: 'chat', order: ['anthropic', 'openai', 'mistral'] },
      },
    );
    expect(set.status).toBe(200);
    expect(set.body.preferences.find((entry) => entry.capability === 'chat')?.order).toEqual([
      'anthropic',
      'openai',
      'mistral',
    ]);
    const wrong = await call<ErrorBody>(api.url, 'PUT', '/api/provider-preferences', {
      token: user.accessToken,
      body: { capability: 'video', order: ['openai'] },
    });
    expect([wrong.status, wrong.body.message]).toEqual([400, 'openai cannot serve video']);
    const other = await signUp(api.url, 'prefs');
    const theirs = await call<ProviderPreferencesResponse>(
      api.url,
      'GET',
      '/api/provider-preferences',
      {
        token: other.accessToken,
      },
    );
    expect(theirs.body.preferences.every((entry) => entry.order.length === 0)).toBe(true);
  });

  it('never lets a secret reach logs, audit entries or error bodies, even when the provider echoes it', async () => {
    const echoed = fakeKey('openai', 'echo');
    const created = await addKey(user.accessToken, {
      provider: 'openai',
      name: 'echo',
      apiKey: echoed,
    });
    expect(created.body.status).toBe('invalid');
    expect(created.text).not.toContain(echoed);
    expect(created.body.lastError).toContain('[redacted]');
    const audit = await call<Page<AuditEventResponse>>(api.url, 'GET', '/api/audit?pageSize=100', {
      token: user.accessToken,
    });
    expect(audit.body.items.some((event) => event.action === 'provider_key.create')).toBe(true);
    expect(audit.text).not.toContain(echoed);
    expect(api.output()).not.toContain(echoed);
    for (const request of upstream.requests) expect(request.path).not.toContain(echoed.slice(-12));
  });

  it("stores a provider's refusal whose wording carries control characters, without them", async () => {
    // A NUL in the message made the database refuse the check's record: adding or testing the
    // key was answered 400 though the caller sent nothing wrong, and the scheduled re-check
    // failed on it every time.
    const created = await addKey(user.accessToken, {
      provider: 'openai',
      name: 'control',
      apiKey: fakeKey('openai', 'control'),
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('invalid');
    expect(created.body.lastError).toContain('Incorrect API key provided. Check it.');
    expect(created.body.lastError).not.toMatch(/\p{Cc}/u);
    const tested = await testKey(user.accessToken, created.body.id);
    expect(tested.status).toBe(200);
  });

  it('announces a key that turned invalid once when it is tested several times at once', async () => {
    const created = await addKey(user.accessToken, {
      provider: 'anthropic',
      name: 'tested at once',
      apiKey: fakeKey('anthropic', 'bad'),
      verify: false,
    });
    expect(created.body.status).toBe('unverified');
    const tests = await Promise.all(
      Array.from({ length: 6 }, () => testKey(user.accessToken, created.body.id)),
    );
    expect(tests.map((test) => [test.status, test.body.status])).toEqual(
      tests.map(() => [200, 'invalid']),
    );
    const notifications = await call<Page<NotificationResponse>>(
      api.url,
      'GET',
      '/api/notifications?pageSize=100',
      { token: user.accessToken },
    );
    const aboutIt = notifications.body.items.filter(
      (item) => item.kind === 'credential_invalid' && item.data.providerKeyId === created.body.id,
    );
    expect(aboutIt).toHaveLength(1);
    const audit = await auditEvents(api.url, user.accessToken, '?pageSize=100');
    const changes = audit.filter(
      (event) =>
        event.action === 'provider_key.status_change' && event.targetId === created.body.id,
    );
    expect(changes.map((event) => event.details)).toEqual([
      expect.objectContaining({ from: 'unverified', to: 'invalid' }),
    ]);
  });

  it('keeps a key readable when it is renamed while a master-key rotation re-wraps it', async () => {
    // A rotation needs a database other processes can reach while the API runs.
    if (usesEmbeddedDatabase(api)) return;
    const created = await addKey(user.accessToken, {
      provider: 'openai',
      name: 'renamed during rotation',
      apiKey: fakeKey('openai', 'good'),
    });
    expect(created.body.status).toBe('valid');
    const [stored] = await queryDatabase<{ key_version: string; wrapped_key: Buffer }>(
      api,
      'SELECT key_version, wrapped_key FROM provider_credentials WHERE id = $1',
      [created.body.id],
    );
    if (!stored) throw new Error('the key was not stored');
    // Stands in for a rotation: it moves the key between two (version, wrapping) pairs, each
    // written together, and stops if it ever finds the two columns from different pairs.
    const pairs = [
      [stored.key_version, stored.wrapped_key],
      ['rotated', Buffer.from(stored.wrapped_key).reverse()],
    ] as const;
    const rotation = new pg.Client({ connectionString: api.env.DATABASE_URL });
    await rotation.connect();
    /** Set from the rotation's loop, which the type checker cannot follow. */
    const state = { renaming: true, mismatched: false };
    const rotate = async (): Promise<void> => {
      for (let turn = 0; state.renaming; turn += 1) {
        const [from, to] = turn % 2 === 0 ? [pairs[0], pairs[1]] : [pairs[1], pairs[0]];
        const moved = await rotation.query(
          `UPDATE provider_credentials SET key_version = $4, wrapped_key = $5
            WHERE id = $1 AND key_version = $2 AND wrapped_key = $3`,
          [created.body.id, ...from, ...to],
        );
        if (moved.rowCount !== 1) {
          state.mismatched = true;
          return;
        }
      }
      // Left as it was stored, so the key can be opened below.
      await rotation.query(
        `UPDATE provider_credentials SET key_version = $2, wrapped_key = $3 WHERE id = $1`,
        [created.body.id, ...pairs[0]],
      );
    };
    const rotating = rotate();
    try {
      for (let index = 0; index < 40 && !state.mismatched; index += 1) {
        const renamed = await call<ProviderKeyResponse>(
          api.url,
          'PUT',
          `/api/provider-keys/${created.body.id}`,
          { token: user.accessToken, body: { name: `renamed ${index}` } },
        );
        expect(renamed.body.name).toBe(`renamed ${index}`);
      }
    } finally {
      state.renaming = false;
      await rotating;
      await rotation.end();
    }
    expect(state.mismatched).toBe(false);
    const tested = await testKey(user.accessToken, created.body.id);
    expect(tested.body.status).toBe('valid');
  });

  it('keeps only ciphertext in the database', async () => {
    const secret = fakeKey('mistral', 'good');
    const created = await addKey(user.accessToken, {
      provider: 'mistral',
      name: 'sealed',
      apiKey: secret,
      verify: false,
    });
    if (!api.env.DATABASE_URL) return; // the embedded database is read by the rotation test below
    const rows = await queryDatabase(api, 'SELECT * FROM provider_credentials WHERE id = $1', [
      created.body.id,
    ]);
    const stored = JSON.stringify(rows, (_key, value: unknown) =>
      value &&
      typeof value === 'object' &&
      'type' in value &&
      (value as { type: string }).type === 'Buffer'
        ? Buffer.from((value as unknown as { data: number[] }).data).toString('latin1')
        : value,
    );
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(secret.slice(4, -4));
  });
});

describe('GET /v1/models', () => {
  it('lists the models of providers with a credential the gateway would call, narrowed by the key', async () => {
    const upstream = await startFakeUpstream();
    const api = await startApi({ env: upstream.envFor() });
    try {
      const user = await signUp(api.url, 'models');
      const add = (provider: string, apiKey: string, verify = true) =>
        call(api.url, 'POST', '/api/provider-keys', {
          token: user.accessToken,
          body: { provider, name: provider, apiKey, verify },
        });
      await add('openai', fakeKey('openai', 'good'));
      await add('anthropic', fakeKey('anthropic', 'bad'));
      const list = async (key: string) =>
        call<{ object: string; data: { id: string; owned_by: string }[] } & ErrorBody>(
          api.url,
          'GET',
          '/v1/models',
          {
            headers: { authorization: `Bearer ${key}` },
          },
        );

      const open = await createKey(api.url, user.accessToken, { preset: 'generate_only' });
      const all = await list(open.key);
      expect(all.status).toBe(200);
      expect(all.headers.get('content-type')).toMatch(/^application\/json/);
      expect(all.body.object).toBe('list');
      expect(new Set(all.body.data.map((model) => model.owned_by))).toEqual(new Set(['openai']));
      expect(all.body.data.map((model) => model.id)).toContain('openai/gpt-4o-mini');
      // The same key sees a provider as soon as its owner adds a credential that verifies.
      await add('mistral', fakeKey('mistral', 'good'));
      expect(new Set((await list(open.key)).body.data.map((model) => model.owned_by))).toEqual(
        new Set(['openai', 'mistral']),
      );
      // Stored unchecked (or with a check the provider did not answer), a credential is still
      // what a chat call goes to, so its models are listed too; a refused one's never are.
      await add('deepinfra', fakeKey('deepinfra', 'good'), false);
      expect(new Set((await list(open.key)).body.data.map((model) => model.owned_by))).toEqual(
        new Set(['openai', 'mistral', 'deepinfra']),
      );

      const narrow = await createKey(api.url, user.accessToken, {
        preset: 'generate_only',
        allowedModels: ['openai/gpt-4o-mini', 'anthropic/*'],
      });
      expect((await list(narrow.key)).body.data.map((model) => model.id)).toEqual([
        'openai/gpt-4o-mini',
      ]);

      const noScope = await createKey(api.url, user.accessToken, { scopes: ['keys:read'] });
      const refused = await list(noScope.key);
      expect([refused.status, refused.body.code]).toEqual([403, 'insufficient_scope']);
      expect(refused.body.message).toContain('models:read');
    } finally {
      await api.stop();
      await upstream.stop();
    }
  });
});

describe('scheduled re-verification', () => {
  /** The same data, master key and fake providers as `first` (stopped), re-checking every minute. */
  const restartWithReverification = (first: ApiProcess): Promise<ApiProcess> =>
    startApi({
      dataDir: first.dataDir,
      env: {
        // A port of its own.
        ...Object.fromEntries(Object.entries(first.env).filter(([name]) => name !== 'PORT')),
        PROVIDER_REVERIFY_INTERVAL_MINUTES: '1',
        PROVIDER_VERIFY_TIMEOUT_MS: '1000',
      },
    });
  /**
   * An API on a database of its own: the job re-checks every credential never checked, and on
   * the run's shared database those would include other test files' credentials, checked
   * against this test's fake providers and marked with what it says.
   */
  const startFirst = async (upstream: FakeUpstream) => {
    const scratch = process.env.TEST_DATABASE_URL
      ? await createScratchDatabase(process.env.TEST_DATABASE_URL)
      : undefined;
    const first = await startApi({
      env: { ...upstream.envFor(), ...(scratch ? { DATABASE_URL: scratch.url } : {}) },
      cleanup: false,
    });
    return { first, dropScratch: () => scratch?.drop() };
  };
  /** The credential's status once the job has checked it (or 'unverified' after 30 s). */
  const statusOnceChecked = async (api: ApiProcess, token: string, id: string) => {
    const current = await eventually(
      () => call<ProviderKeyResponse>(api.url, 'GET', `/api/provider-keys/${id}`, { token }),
      (answer) => answer.body.status !== 'unverified',
      30_000,
    );
    return current.body.status;
  };

  it('re-checks due credentials after start, marks one that turned invalid and tells its owner', async () => {
    const upstream = await startFakeUpstream();
    const { first, dropScratch } = await startFirst(upstream);
    const user = await signUp(first.url, 'reverify');
    const created = await call<ProviderKeyResponse>(first.url, 'POST', '/api/provider-keys', {
      token: user.accessToken,
      body: {
        provider: 'anthropic',
        name: 'stale',
        apiKey: fakeKey('anthropic', 'bad'),
        verify: false,
      },
    });
    expect(created.body.status).toBe('unverified');
    await first.stop();
    const second = await restartWithReverification(first);
    try {
      expect(await statusOnceChecked(second, user.accessToken, created.body.id)).toBe('invalid');
      const notifications = await call<Page<NotificationResponse>>(
        second.url,
        'GET',
        '/api/notifications',
        {
          token: user.accessToken,
        },
      );
      expect(notifications.body.items[0]).toMatchObject({ kind: 'credential_invalid' });
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
      await dropScratch();
      await upstream.stop();
    }
  });

  it('goes past a page of credentials whose check cannot be recorded', async () => {
    const upstream = await startFakeUpstream();
    const { first, dropScratch } = await startFirst(upstream);
    const user = await signUp(first.url, 'reverify');
    const tag = `stuck-${randomBytes(4).toString('hex')}`;
    const add = async (name: string, marker: 'good' | 'bad') => {
      const created = await call<ProviderKeyResponse>(first.url, 'POST', '/api/provider-keys', {
        token: user.accessToken,
        body: { provider: 'openai', name, apiKey: fakeKey('openai', marker), verify: false },
      });
      expect(created.status).toBe(201);
      return created.body.id;
    };
    // A whole page of them (the job reads 50 at a time), checked first as never checked.
    for (let index = 0; index < 50; index += 1) await add(`${tag} ${index}`, 'good');
    const behind = await add('behind', 'bad');
    await first.stop();
    await queryDatabase(
      first,
      `UPDATE provider_credentials SET last_verified_at = $1 WHERE id = $2`,
      [new Date('2000-01-01T00:00:00Z'), behind],
    );
    // The database refuses to record their checks, as it did for a provider message with a NUL.
    await queryDatabase(
      first,
      `CREATE OR REPLACE FUNCTION refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION 'refused for the test' USING ERRCODE = '22023'; END $$`,
    );
    const trigger = `refuse_${tag.replace('-', '_')}`;
    await queryDatabase(
      first,
      `CREATE TRIGGER ${trigger} BEFORE UPDATE ON provider_credentials FOR EACH ROW
         WHEN (OLD.name LIKE '${tag} %') EXECUTE FUNCTION refuse_for_test()`,
    );
    const second = await restartWithReverification(first);
    try {
      expect(await statusOnceChecked(second, user.accessToken, behind)).toBe('invalid');
      expect(second.output()).toContain('Could not re-verify a credential');
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
      await dropScratch();
      await upstream.stop();
    }
  });
});
