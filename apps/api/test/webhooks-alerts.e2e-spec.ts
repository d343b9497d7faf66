import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  WEBHOOK_SIGNATURE_HEADER,
  type AuditEventResponse,
  type ErrorBody,
  type NotificationResponse,
  type Page,
  type WebhookPayload,
  type WebhookResponse,
  type WebhookTestResponse,
  type WebhookWithSecretResponse,
} from '@keyward/shared';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { claimDueDeliveries } from '../src/webhooks/delivery-claims.js';
import { verifyWebhookSignature } from '../src/webhooks/webhook-signature.js';
import { startApi, type ApiProcess } from './support/api-process.js';
import { usesEmbeddedDatabase } from './support/database.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { eventually, gatewayUser, moveToPlan } from './support/gateway.js';
import { auditEvents, call, type SignedIn, signIn, signUp } from './support/http.js';
import { createKey, withKey } from './support/keys.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: WebhookPayload;
  at: number;
}

/**
 * A local webhook receiver. Each test uses its own path; `failures` makes a path answer 500 that
 * many times before answering 200 (Infinity: always), `silent` makes it never answer, and `held`
 * makes it answer only once `release` is called.
 */
class Receiver {
  readonly received: Received[] = [];
  private readonly failures = new Map<string, number>();
  private readonly silent = new Set<string>();
  private readonly held = new Map<string, (() => void)[]>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({
          path,
          headers: req.headers,
          raw,
          body: JSON.parse(raw) as WebhookPayload,
          at: Date.now(),
        });
        const left = this.failures.get(path) ?? 0;
        if (this.silent.has(path)) return;
        const holding = this.held.get(path);
        if (holding) {
          holding.push(() => res.writeHead(204).end());
          return;
        }
        if (left > 0) {
          this.failures.set(path, left - 1);
          res.writeHead(500).end('receiver down');
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A fresh path on this receiver. */
  path(failures = 0, { silent = false, held = false } = {}): string {
    const path = `/hook-${randomBytes(4).toString('hex')}`;
    this.failures.set(path, failures);
    if (silent) this.silent.add(path);
    if (held) this.held.set(path, []);
    return path;
  }

  /** Answers the sends a held path holds, and those after it at once. */
  release(path: string): void {
    const holding = this.held.get(path) ?? [];
    this.held.delete(path);
    for (const answer of holding) answer();
  }

  at(path: string): Received[] {
    return this.received.filter((entry) => entry.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** PGlite start-up on a busy machine can take a while; hooks wait longer than tests. */
const START_TIMEOUT_MS = 90_000;
const HOOK_TIMEOUT_MS = 120_000;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long the API waits for a receiver's answer. */
const SEND_TIMEOUT_MS = 2_000;

describe('alerts and webhooks', () => {
  let upstream: FakeUpstream;
  let receiver: Receiver;
  let api: ApiProcess;
  let admin: SignedIn;
  /** Every secret handed out, so the logs can be searched for them at the end. */
  const secrets: string[] = [];

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    receiver = new Receiver();
    await receiver.start();
    api = await startApi({
      startTimeoutMs: START_TIMEOUT_MS,
      env: {
        ...upstream.envFor(),
        USAGE_FLUSH_INTERVAL_MS: '100',
        WEBHOOK_POLL_MS: '100',
        WEBHOOK_RETRY_BASE_MS: '200',
        WEBHOOK_MAX_ATTEMPTS: '3',
        WEBHOOK_TIMEOUT_MS: String(SEND_TIMEOUT_MS),
        ALERT_CHECK_INTERVAL_SECONDS: '1',
        // Many users sign up from one address here.
        LOGIN_MAX_PER_IP_PER_MINUTE: '1000',
      },
    });
    admin = await signIn(api.url, 'admin@keyward.test', 'admin-password-for-tests');
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    // The receiver and the fake upstream must close even if the API never started.
    try {
      await api.stop();
    } finally {
      await receiver.stop();
      await upstream.stop();
    }
  });

  const webhook = (user: SignedIn) =>
    call<WebhookResponse & Partial<WebhookWithSecretResponse> & ErrorBody>(
      api.url,
      'GET',
      '/api/settings/webhook',
      { token: user.accessToken },
    );
  const setWebhook = async (user: SignedIn, path: string): Promise<string> => {
    const result = await call<WebhookWithSecretResponse>(api.url, 'PUT', '/api/settings/webhook', {
      token: user.accessToken,
      body: { url: `${receiver.url}${path}` },
    });
    expect(result.status).toBe(200);
    expect(result.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    secrets.push(result.body.secret);
    return result.body.secret;
  };
  const notifications = (user: SignedIn) =>
    call<Page<NotificationResponse>>(api.url, 'GET', '/api/notifications?pageSize=100', {
      token: user.accessToken,
    });
  /** Reports keys as found in public code, which notifies their owners. */
  const leak = async (...keys: string[]) => {
    const result = await call(api.url, 'POST', '/api/leaks', {
      body: keys.map((key) => ({
        token: key,
        type: 'keyward_api_key',
        url: 'https://github.com/o/r',
        source: 'content',
      })),
    });
    expect(result.status).toBe(200);
  };
  /** The deliveries at `path` once `count` arrived, each checked against `secret`. */
  const deliveredTo = async (path: string, count: number, secret: string, timeoutMs = 15_000) => {
    const arrived = await eventually(
      () => Promise.resolve(receiver.at(path)),
      (entries) => entries.length >= count,
      timeoutMs,
    );
    expect(arrived).toHaveLength(count);
    for (const entry of arrived) {
      expect(entry.headers['content-type']).toBe('application/json');
      expect(
        verifyWebhookSignature(
          secret,
          entry.raw,
          entry.headers[WEBHOOK_SIGNATURE_HEADER] as string,
        ),
      ).toBe(true);
    }
    return arrived;
  };

  it('sets, reads and removes a webhook, showing its secret only once', async () => {
    const user = await signUp(api.url, 'hook');
    expect((await webhook(user)).status).toBe(404);
    const path = receiver.path();
    const secret = await setWebhook(user, path);

    const read = await webhook(user);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ url: `${receiver.url}${path}`, deliveries: [] });
    expect(read.body.secret).toBeUndefined();
    expect(read.text).not.toContain(secret);

    // Moving the URL keeps the secret, and does not show it again.
    const moved = await call<WebhookResponse & { secret?: string }>(
      api.url,
      'PUT',
      '/api/settings/webhook',
      { token: user.accessToken, body: { url: `${receiver.url}${path}?moved=1` } },
    );
    expect(moved.status).toBe(200);
    expect(moved.body.secret).toBeUndefined();
    expect(moved.text).not.toContain(secret);

    const removed = await call(api.url, 'DELETE', '/api/settings/webhook', {
      token: user.accessToken,
    });
    expect(removed.status).toBe(204);
    expect((await webhook(user)).status).toBe(404);
    expect(
      (await call(api.url, 'DELETE', '/api/settings/webhook', { token: user.accessToken })).status,
    ).toBe(404);

    const audit = await call<Page<AuditEventResponse>>(
      api.url,
      'GET',
      '/api/audit?action=webhook',
      {
        token: user.accessToken,
      },
    );
    expect(audit.body.items.map((event) => event.action).sort()).toEqual([
      'webhook.remove',
      'webhook.set',
      'webhook.set',
    ]);
    expect(audit.text).not.toContain(secret);
  });

  it('POSTs each quota threshold once, signed, with the notification as its body', async () => {
    const user = await gatewayUser(api, { openai: 'good' });
    const path = receiver.path();
    const secret = await setWebhook(user, path);
    const plan = `t-${randomBytes(4).toString('hex')}`;
    expect(
      (
        await call(api.url, 'PUT', `/api/admin/plans/${plan}`, {
          token: admin.accessToken,
          body: { name: `Tiny ${plan}`, monthlyRequestLimit: 2, monthlyCostLimitMicros: null },
        })
      ).status,
    ).toBe(200);
    await moveToPlan(api, admin.accessToken, user.userId, plan);
    const ask = () =>
      call(api.url, 'POST', '/v1/chat/completions', {
        headers: withKey(user.key),
        body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      });
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(429);

    const arrived = await deliveredTo(path, 3, secret);
    expect(arrived.map((entry) => Number(entry.body.data.threshold)).sort((a, b) => a - b)).toEqual(
      [50, 80, 100],
    );
    const listed = (await notifications(user)).body.items;
    for (const entry of arrived) {
      expect(entry.body.kind).toBe('quota_threshold');
      const notification = listed.find((n) => n.id === entry.body.id);
      expect(notification).toBeDefined();
      expect(entry.body).toEqual({
        id: notification?.id,
        kind: notification?.kind,
        title: notification?.title,
        body: notification?.body,
        data: notification?.data,
        createdAt: notification?.createdAt,
      });
    }
    // Recorded as delivered once the receiver's answer is back.
    const { deliveries } = (
      await eventually(
        () => webhook(user),
        (read) =>
          read.body.deliveries.length === 3 &&
          read.body.deliveries.every((delivery) => delivery.status === 'delivered'),
        5_000,
      )
    ).body;
    expect(receiver.at(path)).toHaveLength(3);
    expect(deliveries).toHaveLength(3);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastHttpStatus: 204 });
    }
  });

  it('warns once of a key expiring within 7 days, however often the job runs', async () => {
    const user = await signUp(api.url, 'expiring');
    const path = receiver.path();
    const secret = await setWebhook(user, path);
    const key = await createKey(api.url, user.accessToken, {
      name: 'short-lived',
      expiresInDays: 3,
    });
    await createKey(api.url, user.accessToken, { name: 'long-lived', expiresInDays: 30 });

    const [arrived] = await deliveredTo(path, 1, secret);
    expect(arrived?.body).toMatchObject({
      kind: 'key_expiring',
      data: { keyId: key.id },
    });
    expect(arrived?.body.title).toContain('short-lived');
    // The job runs every second: three more runs add nothing.
    await wait(3_500);
    expect(receiver.at(path)).toHaveLength(1);
    const listed = (await notifications(user)).body.items.filter((n) => n.kind === 'key_expiring');
    expect(listed).toHaveLength(1);
  });

  it('alerts once on an error rate over 5%, and not below the minimum volume', async () => {
    const failing = await gatewayUser(api, { openai: 'error' });
    const quiet = await gatewayUser(api, { openai: 'error' });
    const path = receiver.path();
    const quietPath = receiver.path();
    const secret = await setWebhook(failing, path);
    await setWebhook(quiet, quietPath);
    const fail = (key: string) =>
      call(api.url, 'POST', '/v1/chat/completions', {
        headers: withKey(key),
        body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      });
    for (let i = 0; i < 22; i++) expect((await fail(failing.key)).status).toBe(502);
    for (let i = 0; i < 5; i++) expect((await fail(quiet.key)).status).toBe(502);

    const [arrived] = await deliveredTo(path, 1, secret);
    expect(arrived?.body).toMatchObject({
      kind: 'error_rate',
      data: { percent: 100, thresholdPercent: 5 },
    });
    // The job may have run while the last events were still being written.
    expect(Number(arrived?.body.data.requests)).toBeGreaterThanOrEqual(20);
    // Every failure was the provider's (502): said apart from limits and wrong requests.
    expect(arrived?.body.data).toMatchObject({
      serverErrors: arrived?.body.data.failures,
      refusedByLimits: 0,
      rejected: 0,
    });
    expect(arrived?.body.body).toMatch(
      /with a provider or server error \(5xx\), 0 refused by a rate limit or quota \(429\), 0 rejected/,
    );
    await wait(2_500);
    expect(receiver.at(path)).toHaveLength(1);
    expect(receiver.at(quietPath)).toHaveLength(0);
    expect((await notifications(quiet)).body.items.filter((n) => n.kind === 'error_rate')).toEqual(
      [],
    );
  });

  it('retries after a 500 with backoff, and gives up as failed after the last attempt', async () => {
    const flaky = await signUp(api.url, 'flaky');
    const flakyPath = receiver.path(2);
    const flakySecret = await setWebhook(flaky, flakyPath);
    const down = await signUp(api.url, 'down');
    const downPath = receiver.path(Infinity);
    const downSecret = await setWebhook(down, downPath);
    await leak((await createKey(api.url, flaky.accessToken)).key);
    await leak((await createKey(api.url, down.accessToken)).key);

    const attempts = await deliveredTo(flakyPath, 3, flakySecret);
    expect(new Set(attempts.map((entry) => entry.body.id)).size).toBe(1);
    expect(attempts[0]?.body.kind).toBe('key_leaked');
    // Backoff of 200 ms, then 400 ms (WEBHOOK_RETRY_BASE_MS doubling).
    const [a, b, c] = attempts.map((entry) => entry.at);
    expect(b! - a!).toBeGreaterThanOrEqual(180);
    expect(c! - b!).toBeGreaterThanOrEqual(380);
    const flakyDelivery = await eventually(
      () => webhook(flaky),
      (r) => r.body.deliveries[0]?.status === 'delivered',
    );
    expect(flakyDelivery.body.deliveries[0]).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastHttpStatus: 204,
      kind: 'key_leaked',
    });

    await deliveredTo(downPath, 3, downSecret);
    const failed = await eventually(
      () => webhook(down),
      (r) => r.body.deliveries[0]?.status === 'failed',
    );
    expect(failed.body.deliveries[0]).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastHttpStatus: 500,
    });
    expect(failed.body.deliveries[0]?.lastError).toContain('500');
    await wait(1_000);
    expect(receiver.at(downPath)).toHaveLength(3);
  });

  it('signs with the new secret after a rotation, and the test button sends a signed ping', async () => {
    const user = await signUp(api.url, 'rotate');
    const path = receiver.path();
    const first = await setWebhook(user, path);
    const rotated = await call<WebhookWithSecretResponse>(
      api.url,
      'POST',
      '/api/settings/webhook/rotate-secret',
      { token: user.accessToken },
    );
    expect(rotated.status).toBe(200);
    const second = rotated.body.secret;
    secrets.push(second);
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    expect((await webhook(user)).text).not.toContain(second);

    await leak((await createKey(api.url, user.accessToken)).key);
    const [arrived] = await deliveredTo(path, 1, second);
    expect(
      verifyWebhookSignature(
        first,
        arrived?.raw ?? '',
        arrived?.headers[WEBHOOK_SIGNATURE_HEADER] as string,
      ),
    ).toBe(false);

    const tested = await call<WebhookTestResponse>(api.url, 'POST', '/api/settings/webhook/test', {
      token: user.accessToken,
    });
    expect(tested.body).toEqual({ delivered: true, httpStatus: 204, error: null });
    const [, ping] = await deliveredTo(path, 2, second);
    expect(ping?.body.kind).toBe('webhook_test');

    const audit = await auditEvents(api.url, user.accessToken, '?action=webhook.secret_rotate');
    expect(audit).toHaveLength(1);
  });

  it("keeps each user's webhook to themselves, and checks scopes", async () => {
    const owner = await signUp(api.url, 'owner');
    const other = await signUp(api.url, 'other');
    const path = receiver.path();
    await setWebhook(owner, path);
    for (const [method, route] of [
      ['GET', '/api/settings/webhook'],
      ['DELETE', '/api/settings/webhook'],
      ['POST', '/api/settings/webhook/rotate-secret'],
      ['POST', '/api/settings/webhook/test'],
    ] as const) {
      const result = await call<ErrorBody>(api.url, method, route, { token: other.accessToken });
      expect([route, result.status, result.body.code]).toEqual([route, 404, 'not_found']);
    }
    // The other user's notification goes nowhere near the owner's webhook.
    await leak((await createKey(api.url, other.accessToken)).key);
    await wait(1_000);
    expect(receiver.at(path)).toHaveLength(0);
    expect((await webhook(owner)).body.deliveries).toEqual([]);

    const reader = await createKey(api.url, owner.accessToken, { preset: 'read_only' });
    expect(
      (await call(api.url, 'GET', '/api/settings/webhook', { headers: withKey(reader.key) }))
        .status,
    ).toBe(200);
    const refused = await call<ErrorBody>(api.url, 'PUT', '/api/settings/webhook', {
      headers: withKey(reader.key),
      body: { url: `${receiver.url}/elsewhere` },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
  });

  it('sends each delivery once when two replicas dispatch from one database', async () => {
    // Replicas share a database only with PostgreSQL; each embedded database is its own.
    if (usesEmbeddedDatabase(api)) return;
    const shared = Object.fromEntries(
      Object.entries(api.env).filter(([name]) => name !== 'PORT' && name !== 'DATA_DIR'),
    );
    const replica = await startApi({ env: shared });
    try {
      const user = await signUp(api.url, 'replicas');
      const path = receiver.path();
      const secret = await setWebhook(user, path);
      const keys = await Promise.all(
        Array.from({ length: 12 }, () => createKey(api.url, user.accessToken)),
      );
      await leak(...keys.map((key) => key.key));
      const arrived = await deliveredTo(path, 12, secret);
      await wait(1_000);
      expect(receiver.at(path)).toHaveLength(12);
      expect(new Set(arrived.map((entry) => entry.body.id)).size).toBe(12);
    } finally {
      await replica.stop();
    }
  });

  it('claims each due delivery once when many replicas claim and settle at the same time', async () => {
    // The race needs connections of their own; the embedded database admits one.
    if (usesEmbeddedDatabase(api)) return;
    // A schema of its own, with the outbox's tables as migrated, so the running API does not
    // take part in the claims.
    const schema = `claims_${randomBytes(4).toString('hex')}`;
    const pool = new pg.Pool({
      connectionString: api.env.DATABASE_URL,
      max: 8,
      options: `-c search_path=${schema}`,
    });
    try {
      await pool.query(`CREATE SCHEMA ${schema}`);
      for (const table of ['notifications', 'webhooks', 'webhook_deliveries']) {
        await pool.query(`CREATE TABLE ${table} (LIKE public.${table} INCLUDING ALL)`);
      }
      const count = 300;
      await pool.query(
        `INSERT INTO notifications (id, user_id, kind, title, body)
           SELECT 'n' || g, 'u' || (g % 4), 'test', 'title', 'body' FROM generate_series(1, $1) g`,
        [count],
      );
      await pool.query(
        `INSERT INTO webhook_deliveries (id, notification_id, user_id)
           SELECT 'd' || g, 'n' || g, 'u' || (g % 4) FROM generate_series(1, $1) g`,
        [count],
      );
      const db = {
        query: async (sql: string, parameters: unknown[]): Promise<unknown[]> =>
          (await pool.query<Record<string, unknown>>(sql, parameters)).rows,
      };
      const claims = new Map<string, number>();
      let largestShare = 0;
      // Each "replica" claims a few, settles them at once, and claims again until none are due.
      const replica = async (): Promise<void> => {
        for (;;) {
          const claimed = await claimDueDeliveries(db, {
            free: 5,
            leaseSeconds: 60,
            perUser: 2,
            sendingFor: new Map(),
          });
          if (claimed.length === 0) return;
          const perUser = new Map<string, number>();
          for (const row of claimed) {
            claims.set(row.id, (claims.get(row.id) ?? 0) + 1);
            perUser.set(row.user_id, (perUser.get(row.user_id) ?? 0) + 1);
          }
          largestShare = Math.max(largestShare, ...perUser.values());
          await pool.query(
            `UPDATE webhook_deliveries SET status = 'delivered' WHERE id = ANY($1)`,
            [claimed.map((row) => row.id)],
          );
        }
      };
      await Promise.all(Array.from({ length: 8 }, replica));
      const twice = [...claims].filter(([, times]) => times > 1).map(([id]) => id);
      expect({ claimed: claims.size, twice }).toEqual({ claimed: count, twice: [] });
      expect(largestShare).toBeLessThanOrEqual(2);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    }
  });

  it("sends other users' deliveries while one user's receiver never answers", async () => {
    const stuck = await signUp(api.url, 'tarpit');
    const silentPath = receiver.path(0, { silent: true });
    await setWebhook(stuck, silentPath);
    // More deliveries than a replica sends at once (20).
    const keys = await Promise.all(
      Array.from({ length: 25 }, () => createKey(api.url, stuck.accessToken)),
    );
    await leak(...keys.map((key) => key.key));
    await eventually(
      () => Promise.resolve(receiver.at(silentPath)),
      (entries) => entries.length > 0,
    );
    const prompt = await signUp(api.url, 'prompt');
    const promptPath = receiver.path();
    const promptSecret = await setWebhook(prompt, promptPath);
    await leak((await createKey(api.url, prompt.accessToken)).key);
    const [arrived] = await deliveredTo(promptPath, 1, promptSecret);
    // The silent receiver held two sends at most (its owner's share) meanwhile; before, it held a
    // whole batch of 20 until they timed out, and other users' deliveries waited behind them.
    // Sends that timed out before the prompt delivery arrived were no longer held.
    const arrivedAt = arrived?.at ?? 0;
    const heldMeanwhile = receiver
      .at(silentPath)
      .filter((entry) => entry.at <= arrivedAt && entry.at > arrivedAt - SEND_TIMEOUT_MS);
    expect(heldMeanwhile.length).toBeLessThanOrEqual(2);
    const removed = await call(api.url, 'DELETE', '/api/settings/webhook', {
      token: stuck.accessToken,
    });
    expect(removed.status).toBe(204);
  });

  it('does not bring back a delivery whose webhook was removed while it was being sent', async () => {
    const user = await signUp(api.url, 'removed-mid-send');
    const silentPath = receiver.path(0, { silent: true });
    await setWebhook(user, silentPath);
    await leak((await createKey(api.url, user.accessToken)).key);
    await eventually(
      () => Promise.resolve(receiver.at(silentPath)),
      (entries) => entries.length > 0,
    );
    const removed = await call(api.url, 'DELETE', '/api/settings/webhook', {
      token: user.accessToken,
    });
    expect(removed.status).toBe(204);
    const laterPath = receiver.path();
    await setWebhook(user, laterPath);
    // The send times out and would be retried after the first backoff; nothing may reach the
    // webhook set later, which starts with new notifications only.
    await wait(SEND_TIMEOUT_MS + 1_500);
    expect(receiver.at(laterPath)).toHaveLength(0);
  });

  it('records as delivered a send its receiver took while the webhook was being removed', async () => {
    const user = await signUp(api.url, 'delivered-mid-removal');
    const heldPath = receiver.path(0, { held: true });
    await setWebhook(user, heldPath);
    await leak((await createKey(api.url, user.accessToken)).key);
    await eventually(
      () => Promise.resolve(receiver.at(heldPath)),
      (entries) => entries.length > 0,
    );
    const removed = await call(api.url, 'DELETE', '/api/settings/webhook', {
      token: user.accessToken,
    });
    expect(removed.status).toBe(204);
    receiver.release(heldPath);
    // The receiver has it: the history, read once a webhook is set again, must not say the
    // removal failed it.
    await setWebhook(user, receiver.path());
    const read = await eventually(
      () => webhook(user),
      (r) => r.body.deliveries[0]?.status === 'delivered',
      SEND_TIMEOUT_MS + 3_000,
    );
    expect(read.body.deliveries[0]).toMatchObject({
      status: 'delivered',
      attempts: 1,
      lastHttpStatus: 204,
      lastError: null,
      kind: 'key_leaked',
    });
    expect(receiver.at(heldPath)).toHaveLength(1);
  });

  it('never writes a webhook secret to the logs', () => {
    expect(secrets.length).toBeGreaterThan(5);
    const output = api.output();
    for (const secret of secrets) expect(output).not.toContain(secret);
  });
});

describe('webhook URLs without the private-network allowance', () => {
  let api: ApiProcess;
  let user: SignedIn;

  beforeAll(async () => {
    api = await startApi({
      env: {
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false',
        WEBHOOK_POLL_MS: '100',
        WEBHOOK_MAX_ATTEMPTS: '1',
      },
    });
    user = await signUp(api.url, 'ssrf');
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await api.stop();
  });

  const put = (url: string) =>
    call<ErrorBody>(api.url, 'PUT', '/api/settings/webhook', {
      token: user.accessToken,
      body: { url },
    });

  it('refuses loopback, private, link-local, metadata and encoded addresses', async () => {
    for (const url of [
      `http://127.0.0.1:${api.port}/hook`,
      'http://10.0.0.7/hook',
      'http://192.168.1.10/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:8080/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://0x7f000001/hook',
      `http://localhost:${api.port}/hook`,
    ]) {
      const result = await put(url);
      expect([url, result.status, result.body.code]).toEqual([url, 400, 'webhook_url_refused']);
      expect(result.text).not.toContain(url);
    }
    expect(
      (await call(api.url, 'GET', '/api/settings/webhook', { token: user.accessToken })).status,
    ).toBe(404);
  });

  it('refuses at delivery time a URL saved where private networks were allowed', async () => {
    // A permissive process saves the URL (as an operator's earlier setting would have); this
    // strict one must still refuse to send there. Only PostgreSQL lets the two share data.
    if (usesEmbeddedDatabase(api)) return;
    const receiver = new Receiver();
    await receiver.start();
    const permissive = await startApi();
    try {
      const owner = await signUp(permissive.url, 'rebind');
      const path = receiver.path();
      const saved = await call(permissive.url, 'PUT', '/api/settings/webhook', {
        token: owner.accessToken,
        body: { url: `${receiver.url}${path}` },
      });
      expect(saved.status).toBe(200);
      const key = await createKey(permissive.url, owner.accessToken);
      await call(permissive.url, 'POST', '/api/leaks', {
        body: [{ token: key.key, type: 'keyward_api_key', url: 'https://x', source: 'content' }],
      });
      const failed = await eventually(
        () =>
          call<WebhookResponse>(permissive.url, 'GET', '/api/settings/webhook', {
            token: owner.accessToken,
          }),
        (r) => r.body.deliveries[0]?.status === 'failed',
        15_000,
      );
      expect(failed.body.deliveries[0]).toMatchObject({ status: 'failed', lastHttpStatus: null });
      expect(failed.body.deliveries[0]?.lastError).toMatch(/public internet address/);
      expect(receiver.at(path)).toHaveLength(0);
    } finally {
      await permissive.stop();
      await receiver.stop();
    }
  });

  it('refuses other schemes and numeric host spellings already in the shared request check', async () => {
    // The shared SetWebhookRequest (validated the same way in the console) turns these away
    // before the address policy sees them; the policy refuses them too (its unit spec).
    for (const url of [
      'ftp://example.com/hook',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'http://2130706433/hook',
      'http://0177.0.0.1/hook',
      'http://127.1/hook',
    ]) {
      const result = await put(url);
      expect([url, result.status, result.body.code]).toEqual([url, 400, 'validation_failed']);
      expect(result.body.errors?.map((error) => error.field)).toEqual(['url']);
    }
    expect(
      (await call(api.url, 'GET', '/api/settings/webhook', { token: user.accessToken })).status,
    ).toBe(404);
  });
});
