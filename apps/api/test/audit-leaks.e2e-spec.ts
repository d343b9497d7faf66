import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type {
  ApiKeyResponse,
  AuditEventResponse,
  AuditVerifyResponse,
  ErrorBody,
  LeakReportResult,
  NotificationResponse,
  Page,
} from '@keyward/shared';
import { generateKeyPairSync, sign } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { startApi, type ApiProcess } from './support/api-process.js';
import { lockWaiters, queryDatabase, usesEmbeddedDatabase } from './support/database.js';
import { auditEvents, call, type SignedIn, signIn, signUp } from './support/http.js';
import { createKey, withKey } from './support/keys.js';

const ADMIN = { email: 'admin@keyward.test', password: 'admin-password-for-tests' };

describe('audit log', () => {
  let api: ApiProcess;
  let user: SignedIn;
  const events = (token: string, query = '') => auditEvents(api.url, token, query);

  beforeAll(async () => {
    api = await startApi({ env: { LOGIN_MAX_PER_IP_PER_MINUTE: '1000' } });
    user = await signUp(api.url, 'audited');
  });
  afterAll(async () => {
    await api.stop();
  });

  it('records every key event with actor, target, IP and user agent, and no secret', async () => {
    const created = await createKey(api.url, user.accessToken, { name: 'audited key' });
    await call(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
      token: user.accessToken,
      body: { name: 'renamed' },
    });
    const regenerated = await call<{ key: string }>(
      api.url,
      'POST',
      `/api/api-keys/${created.id}/regenerate`,
      {
        token: user.accessToken,
        body: {},
      },
    );
    await call(api.url, 'DELETE', `/api/api-keys/${created.id}`, { token: user.accessToken });

    const log = await events(user.accessToken, '?action=key');
    expect(
      log.filter((event) => event.targetId === created.id).map((event) => event.action),
    ).toEqual(['key.revoke', 'key.regenerate', 'key.update', 'key.create']);
    for (const event of log) {
      expect(event.actorUserId).toBe(user.userId);
      expect(event.ip).toBe('127.0.0.1');
      expect(event.userAgent).not.toBeNull();
    }
    const text = JSON.stringify(log);
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(regenerated.body.key);
  });

  it('records sign-ins, failed sign-ins and sign-outs', async () => {
    const fresh = await signUp(api.url, 'auth-events');
    await call(api.url, 'POST', '/api/auth/login', {
      body: { email: fresh.email, password: 'wrong-password!' },
    });
    await call(api.url, 'POST', '/api/auth/logout', { cookie: fresh.cookie });
    const again = await signIn(api.url, fresh.email, fresh.password);
    const actions = (await events(again.accessToken, '?action=auth')).map((event) => event.action);
    expect(actions).toEqual([
      'auth.login',
      'auth.logout',
      'auth.login_failed',
      'auth.login',
      'auth.register',
    ]);
  });

  it("shows users only their own events, and admins everyone's", async () => {
    const other = await signUp(api.url, 'other');
    const otherKey = await createKey(api.url, other.accessToken);
    expect((await events(user.accessToken)).some((event) => event.targetId === otherKey.id)).toBe(
      false,
    );
    const admin = await signIn(api.url, ADMIN.email, ADMIN.password);
    expect(
      (await events(admin.accessToken, '?pageSize=100')).some(
        (event) => event.targetId === otherKey.id,
      ),
    ).toBe(true);
  });

  it('filters by action and time', async () => {
    const before = new Date(Date.now() - 1_000).toISOString();
    await createKey(api.url, user.accessToken, { name: 'timed' });
    const recent = await events(
      user.accessToken,
      `?action=key.create&from=${encodeURIComponent(before)}`,
    );
    expect(recent.length).toBeGreaterThanOrEqual(1);
    expect(recent.every((event) => event.action === 'key.create')).toBe(true);
    const future = await events(
      user.accessToken,
      `?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(future).toEqual([]);
    const bad = await call<ErrorBody>(api.url, 'GET', '/api/audit?from=yesterday', {
      token: user.accessToken,
    });
    expect(bad.status).toBe(400);
  });

  it('refuses an unknown action or a range that ends before it starts, as usage routes do', async () => {
    const answerTo = async (query: string) => {
      const answer = await call<ErrorBody>(api.url, 'GET', `/api/audit${query}`, {
        token: user.accessToken,
      });
      return [answer.status, answer.body.code, answer.body.message];
    };
    expect(await answerTo('?action=bogus')).toEqual([
      400,
      'validation_failed',
      expect.stringContaining('action must be an audit action (such as key.create)'),
    ]);
    expect(await answerTo('?action=key.bogus')).toEqual([
      400,
      'validation_failed',
      expect.any(String),
    ]);
    expect(await answerTo('?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z')).toEqual([
      400,
      'validation_failed',
      'from must be before to',
    ]);
    // Families and actions of the catalogue are taken.
    expect((await answerTo('?action=provider_key'))[0]).toBe(200);
    expect((await answerTo('?action=provider_key.create'))[0]).toBe(200);
  });

  it('writes nothing when the change fails (same transaction)', async () => {
    const created = await createKey(api.url, user.accessToken);
    const before = (await events(user.accessToken, '?action=key.update')).length;
    const refused = await call(api.url, 'PATCH', `/api/api-keys/${created.id}`, {
      token: user.accessToken,
      body: { scopes: ['admin:users'] },
    });
    expect(refused.status).toBe(403);
    expect((await events(user.accessToken, '?action=key.update')).length).toBe(before);
  });

  it('keeps a hash chain that verifies, and detects an edited entry', async () => {
    const verified = await call<AuditVerifyResponse>(api.url, 'GET', '/api/audit/verify', {
      token: user.accessToken,
    });
    expect(verified.body.intact).toBe(true);
    expect(verified.body.checked).toBeGreaterThanOrEqual(2);

    // Tamper with a dedicated instance's log, so this file's other tests are unaffected.
    const isolated = await startApi({ env: { DATABASE_URL: undefined }, cleanup: false });
    const victim = await signUp(isolated.url, 'victim');
    await createKey(isolated.url, victim.accessToken, { name: 'original name' });
    const intact = await call<AuditVerifyResponse>(isolated.url, 'GET', '/api/audit/verify', {
      token: victim.accessToken,
    });
    expect(intact.body).toMatchObject({ intact: true, firstBrokenSequence: null });
    await isolated.stop();
    const [row] = await queryDatabase<{ sequence: string }>(
      isolated,
      `UPDATE audit_events SET details = '{"name":"forged"}' WHERE action = 'key.create' RETURNING sequence`,
    );
    const restarted = await startApi({
      dataDir: isolated.dataDir,
      env: { DATABASE_URL: undefined },
    });
    try {
      const again = await signIn(restarted.url, victim.email, victim.password);
      const broken = await call<AuditVerifyResponse>(restarted.url, 'GET', '/api/audit/verify', {
        token: again.accessToken,
      });
      expect(broken.body).toMatchObject({
        intact: false,
        firstBrokenSequence: Number(row!.sequence),
      });
    } finally {
      await restarted.stop();
      rmSync(isolated.dataDir, { recursive: true, force: true });
    }
  });
});

describe('leaked key reports', () => {
  let api: ApiProcess;
  let user: SignedIn;
  const report = (entries: unknown, headers: Record<string, string> = {}) =>
    call<LeakReportResult[] & ErrorBody>(api.url, 'POST', '/api/leaks', {
      rawBody: JSON.stringify(entries),
      headers: { 'content-type': 'application/json', ...headers },
    });

  beforeAll(async () => {
    api = await startApi();
    user = await signUp(api.url, 'leaky');
  });
  afterAll(async () => {
    await api.stop();
  });

  it('revokes a reported live key, and tells its owner', async () => {
    const created = await createKey(api.url, user.accessToken, { name: 'pushed to github' });
    const result = await report([
      {
        token: created.key,
        type: 'keyward_api_key',
        url: 'https://github.com/o/r/blob/x/.env',
        source: 'content',
      },
      {
        token: 'kw_notakeyatallnotakeyatallnotakeyatall',
        type: 'keyward_api_key',
        url: 'https://x',
        source: 'content',
      },
    ]);
    expect(result.status).toBe(200);
    expect(result.body.map((entry) => entry.label)).toEqual(['true_positive', 'false_positive']);
    expect(
      (await call<ErrorBody>(api.url, 'GET', '/v1/whoami', { headers: withKey(created.key) })).body
        .code,
    ).toBe('key_revoked');
    const notifications = await call<Page<NotificationResponse>>(
      api.url,
      'GET',
      '/api/notifications',
      {
        token: user.accessToken,
      },
    );
    expect(notifications.body.items[0]).toMatchObject({ kind: 'key_leaked', readAt: null });
    expect(notifications.body.items[0]!.title).toContain('pushed to github');
    const audit = await call<Page<AuditEventResponse>>(
      api.url,
      'GET',
      '/api/audit?action=key.leaked',
      {
        token: user.accessToken,
      },
    );
    expect(audit.body.items[0]).toMatchObject({
      targetId: created.id,
      details: { outcome: 'revoked' },
    });
    expect(JSON.stringify(audit.body)).not.toContain(created.key);

    const read = await call<NotificationResponse>(
      api.url,
      'POST',
      `/api/notifications/${notifications.body.items[0]!.id}/read`,
      { token: user.accessToken },
    );
    expect(read.body.readAt).not.toBeNull();
    const stranger = await signUp(api.url, 'stranger');
    const foreign = await call(
      api.url,
      'POST',
      `/api/notifications/${notifications.body.items[0]!.id}/read`,
      {
        token: stranger.accessToken,
      },
    );
    expect(foreign.status).toBe(404);
  });

  it('only flags a key whose owner chose that', async () => {
    const created = await createKey(api.url, user.accessToken, { name: 'flag me', onLeak: 'flag' });
    await report([
      {
        token: created.key,
        type: 'keyward_api_key',
        url: 'https://paste.example/1',
        source: 'paste',
      },
    ]);
    expect(
      (await call(api.url, 'GET', '/v1/whoami', { headers: withKey(created.key) })).status,
    ).toBe(200);
    const key = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${created.id}`, {
      token: user.accessToken,
    });
    expect(key.body.status).toBe('active');
    const audit = await auditEvents(api.url, user.accessToken, '?action=key.leaked');
    expect(audit.find((event) => event.targetId === created.id)?.details).toMatchObject({
      outcome: 'flagged',
    });
  });

  it('ends only the replaced secret when a superseded one is reported, keeping the key', async () => {
    const created = await createKey(api.url, user.accessToken, { name: 'rotated after a leak' });
    const regenerated = await call<{ key: string }>(
      api.url,
      'POST',
      `/api/api-keys/${created.id}/regenerate`,
      {
        token: user.accessToken,
        body: { gracePeriodSeconds: 3600 },
      },
    );
    expect(
      (await call(api.url, 'GET', '/v1/whoami', { headers: withKey(created.key) })).status,
    ).toBe(200);
    await report([
      { token: created.key, type: 'keyward_api_key', url: 'https://x/old', source: 'content' },
    ]);
    expect(
      (await call(api.url, 'GET', '/v1/whoami', { headers: withKey(created.key) })).status,
    ).toBe(401);
    expect(
      (await call(api.url, 'GET', '/v1/whoami', { headers: withKey(regenerated.body.key) })).status,
    ).toBe(200);
  });

  it('tells the owner once, however often a report repeats a key or a key is reported again', async () => {
    const owner = await signUp(api.url, 'reported-often');
    const revoked = await createKey(api.url, owner.accessToken, { name: 'revoked on leak' });
    const flagged = await createKey(api.url, owner.accessToken, {
      name: 'flagged',
      onLeak: 'flag',
    });
    const entry = (token: string, url: string) => ({
      token,
      type: 'keyward_api_key',
      url,
      source: 'content',
    });
    const first = await report([
      ...Array.from({ length: 5 }, () => entry(revoked.key, 'https://x/env')),
      ...Array.from({ length: 5 }, () => entry(flagged.key, 'https://x/env')),
    ]);
    expect(first.status).toBe(200);
    // Every entry is answered...
    expect(first.body.map((result) => result.label)).toEqual(Array(10).fill('true_positive'));
    // ...and a report that changes nothing, or repeats a place already reported, writes nothing.
    await report([entry(revoked.key, 'https://x/elsewhere'), entry(flagged.key, 'https://x/env')]);
    // A flagged key found somewhere new is news.
    await report([entry(flagged.key, 'https://x/new-place')]);

    const notifications = await call<Page<NotificationResponse>>(
      api.url,
      'GET',
      '/api/notifications?pageSize=50',
      { token: owner.accessToken },
    );
    const told = notifications.body.items
      .filter((item) => item.kind === 'key_leaked')
      .map((item) => `${String(item.data.keyId)} ${String(item.data.url)}`)
      .sort();
    expect(told).toEqual(
      [
        `${revoked.id} https://x/env`,
        `${flagged.id} https://x/env`,
        `${flagged.id} https://x/new-place`,
      ].sort(),
    );
    const audit = await auditEvents(api.url, owner.accessToken, '?action=key.leaked&pageSize=50');
    expect(audit).toHaveLength(3);
  });

  it('acts once on a key reported by several reports at the same time', async () => {
    const owner = await signUp(api.url, 'reported-at-once');
    const created = await createKey(api.url, owner.accessToken, { name: 'reported at once' });
    const reports = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        report([
          {
            token: created.key,
            type: 'keyward_api_key',
            url: `https://x/at-once-${index}`,
            source: 'content',
          },
        ]),
      ),
    );
    expect(reports.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    const audit = await auditEvents(api.url, owner.accessToken, '?action=key.leaked&pageSize=50');
    expect(audit.map((event) => event.details.outcome)).toEqual(['revoked']);
    const notifications = await call<Page<NotificationResponse>>(
      api.url,
      'GET',
      '/api/notifications?pageSize=50',
      { token: owner.accessToken },
    );
    expect(notifications.body.items.filter((item) => item.kind === 'key_leaked')).toHaveLength(1);
  });

  it('spares the key when a regeneration commits while the report of its old secret waits', async () => {
    // Needs a second connection to the database while the API runs.
    if (usesEmbeddedDatabase(api)) return;
    const created = await createKey(api.url, user.accessToken, { name: 'regenerated meanwhile' });
    // Holds the key's row as a regeneration does, and does what it does to the old secret.
    const regeneration = new pg.Client({ connectionString: api.env.DATABASE_URL });
    await regeneration.connect();
    try {
      await regeneration.query('BEGIN');
      await regeneration.query('SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE', [created.id]);
      const reported = report([
        { token: created.key, type: 'keyward_api_key', url: 'https://x/late', source: 'content' },
      ]);
      expect(await lockWaiters(regeneration, 1)).toBeGreaterThanOrEqual(1);
      await regeneration.query(
        `UPDATE api_key_secrets SET expires_at = now() + interval '1 hour' WHERE key_id = $1`,
        [created.id],
      );
      await regeneration.query('COMMIT');
      expect((await reported).status).toBe(200);
    } finally {
      await regeneration.end();
    }
    const key = await call<ApiKeyResponse>(api.url, 'GET', `/api/api-keys/${created.id}`, {
      token: user.accessToken,
    });
    expect(key.body.revokedAt).toBeNull();
    const audit = await auditEvents(api.url, user.accessToken, '?action=key.leaked&pageSize=50');
    expect(
      audit.filter((event) => event.targetId === created.id).map((event) => event.details.outcome),
    ).toEqual(['superseded_secret_ended']);
  });

  it('refuses malformed reports with a clear 400', async () => {
    for (const body of [
      { token: 'x' },
      [{ token: 'x' }],
      'just text',
      Array.from({ length: 1001 }, () => ({})),
    ]) {
      const result = await report(body);
      expect([result.status, result.body.code]).toEqual([400, 'invalid_leak_report']);
    }
  });

  it('checks GitHub-style signatures when signing keys are configured', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const signed = await startApi({
      env: { LEAK_REPORT_PUBLIC_KEYS: JSON.stringify({ 'key-1': pem }) },
    });
    try {
      const owner = await signUp(signed.url, 'signed');
      const created = await createKey(signed.url, owner.accessToken);
      const body = JSON.stringify([
        { token: created.key, type: 'keyward_api_key', url: 'https://x/y', source: 'content' },
      ]);
      const send = (headers: Record<string, string>) =>
        call<ErrorBody>(signed.url, 'POST', '/api/leaks', {
          rawBody: body,
          headers: { 'content-type': 'application/json', ...headers },
        });
      expect((await send({})).status).toBe(401);
      const forged = sign('sha256', Buffer.from(`${body} `), privateKey).toString('base64');
      expect(
        (
          await send({
            'github-public-key-identifier': 'key-1',
            'github-public-key-signature': forged,
          })
        ).status,
      ).toBe(401);
      expect(
        (await call(signed.url, 'GET', '/v1/whoami', { headers: withKey(created.key) })).status,
      ).toBe(200);
      const signature = sign('sha256', Buffer.from(body), privateKey).toString('base64');
      const accepted = await send({
        'github-public-key-identifier': 'key-1',
        'github-public-key-signature': signature,
      });
      expect(accepted.status).toBe(200);
      expect(
        (await call(signed.url, 'GET', '/v1/whoami', { headers: withKey(created.key) })).status,
      ).toBe(401);
    } finally {
      await signed.stop();
    }
  });
});
