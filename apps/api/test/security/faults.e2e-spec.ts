import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HealthResponse, UsageSummaryResponse } from '@keyward/shared';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { startApi, type ApiProcess } from '../support/api-process.js';
import { queryDatabase } from '../support/database.js';
import { fakeKey, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import {
  eventually,
  gatewayUser,
  moveToNewPlan,
  moveToPlan,
  type GatewayUser,
} from '../support/gateway.js';
import { call, refreshCookie, signIn, type HttpResult } from '../support/http.js';
import { createKey, withKey } from '../support/keys.js';
import {
  redisServerAvailable,
  startPrivateRedis,
  type PrivateRedis,
} from '../support/redis-server.js';
import { startDatabaseProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * Dependencies going away under load. The database is cut through a TCP relay and Redis is a
 * private server stopped on purpose; the machine's shared servers are never touched.
 */

const chatBody = {
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: 'status report' }],
};

/** One guarded request: chat completions or the model list, alternately. */
async function guarded(api: ApiProcess, key: string, index: number): Promise<Timed> {
  const started = performance.now();
  const result =
    index % 2 === 0
      ? await call(api.url, 'POST', '/v1/chat/completions', {
          headers: withKey(key),
          body: chatBody,
        })
      : await call(api.url, 'GET', '/v1/models', { headers: withKey(key) });
  return { status: result.status, ms: performance.now() - started, text: result.text };
}

interface Timed {
  status: number;
  ms: number;
  text: string;
}

/** Runs `workers` loops of guarded requests until `stop()` is called. */
function steadyLoad(api: ApiProcess, key: string, workers: number) {
  const results: (Timed & { at: number })[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let i = worker; running; i += 1) {
      const at = Date.now();
      results.push({ ...(await guarded(api, key, i)), at });
    }
  });
  return {
    results,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const countOf = async (api: ApiProcess, sql: string, parameters: unknown[]): Promise<number> =>
  Number((await queryDatabase<{ n: string }>(api, sql, parameters))[0]?.n ?? 0);

// The embedded PGlite lives inside the API process: there is no connection to cut.
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const describeDatabaseOutage = onPostgres ? describe : describe.skip;

/** Two ways a database goes away: its connections closed, or kept open with nothing answering. */
const OUTAGES = [
  {
    how: 'connections cut',
    goAway: (proxy: TcpProxy) => {
      proxy.interrupt();
    },
    promptMs: 6_000,
  },
  {
    how: 'connections kept open, nothing answering',
    goAway: (proxy: TcpProxy) => {
      proxy.stall();
    },
    // A new connection gets the pool's 5 s to open; a statement, DATABASE_QUERY_TIMEOUT_MS.
    promptMs: 8_000,
  },
];

describeDatabaseOutage.each(OUTAGES)(
  'database away for 10 s under load, $how (PostgreSQL only)',
  ({ goAway, promptMs }) => {
    let upstream: FakeUpstream;
    let proxy: TcpProxy;
    let api: ApiProcess;
    let user: GatewayUser;

    beforeAll(async () => {
      upstream = await startFakeUpstream();
      const proxied = await startDatabaseProxy(process.env.TEST_DATABASE_URL ?? '');
      proxy = proxied.proxy;
      api = await startApi({
        env: {
          ...upstream.envFor(),
          DATABASE_URL: proxied.url,
          USAGE_FLUSH_INTERVAL_MS: '100',
          LOGIN_MAX_PER_IP_PER_MINUTE: '1000',
          // A silent database fails each statement after this (and drops its connection).
          DATABASE_QUERY_TIMEOUT_MS: '2000',
          // Cached keys run out during the outage: guarded calls go on with the last known key.
          KEY_CACHE_TTL_SECONDS: '2',
        },
      });
      user = await gatewayUser(
        api,
        { openai: 'good' },
        { rateLimit: { limit: 10_000, windowSeconds: 1 } },
      );
      // The load runs as fast as the machine allows: a plan without a monthly request limit, so
      // every answer is the outage's doing and not the free plan's 1,000 requests.
      const admin = await signIn(api.url, 'admin@keyward.test', 'admin-password-for-tests');
      await moveToPlan(api, admin.accessToken, user.userId, 'enterprise');
    });
    afterAll(async () => {
      await api.stop();
      await proxy.stop();
      await upstream.stop();
    });

    /** The management calls of one round, each with names unique to the round. */
    const managementRound = async (label: string, revokeId: string) => {
      const calls: Record<string, () => Promise<HttpResult>> = {
        createKey: () =>
          call(api.url, 'POST', '/api/api-keys', {
            token: user.accessToken,
            body: { name: `${label} key`, preset: 'read_only' },
          }),
        revokeKey: () =>
          call(api.url, 'DELETE', `/api/api-keys/${revokeId}`, { token: user.accessToken }),
        listKeys: () => call(api.url, 'GET', '/api/api-keys', { token: user.accessToken }),
        addCredential: () =>
          call(api.url, 'POST', '/api/provider-keys', {
            token: user.accessToken,
            body: {
              provider: 'openai',
              name: `${label} credential`,
              apiKey: fakeKey('openai', 'good'),
              verify: false,
            },
          }),
        login: () =>
          call(api.url, 'POST', '/api/auth/login', {
            body: { email: user.email, password: user.password },
          }),
        refresh: () => call(api.url, 'POST', '/api/auth/refresh', { cookie: user.cookie }),
        auditList: () => call(api.url, 'GET', '/api/audit', { token: user.accessToken }),
      };
      // All at once: against a silent database each call waits for its timeout.
      const timed = await Promise.all(
        Object.entries(calls).map(async ([name, send]) => {
          const started = performance.now();
          const result = await send();
          return [name, { ...result, ms: performance.now() - started }] as const;
        }),
      );
      return Object.fromEntries(timed) as Record<string, HttpResult & { ms: number }>;
    };

    it('answers management with 503 database_unavailable, keeps guarded traffic, loses nothing, recovers', async () => {
      const victims = [
        await createKey(api.url, user.accessToken, { name: 'victim during', preset: 'read_only' }),
        await createKey(api.url, user.accessToken, { name: 'victim after', preset: 'read_only' }),
      ];
      // Warm: the key, the owner's credentials, the plan catalogue and the quota counters cached.
      for (let i = 0; i < 4; i += 1) expect((await guarded(api, user.key, i)).status).toBe(200);

      const load = steadyLoad(api, user.key, 4);
      await sleep(1_000);
      const cutAt = Date.now();
      goAway(proxy);
      const health = await call<HealthResponse>(api.url, 'GET', '/api/health');
      const during: Awaited<ReturnType<typeof managementRound>>[] = [];
      // Three rounds spread over the cut (revoking the same key each time).
      for (let round = 0; during.length < 3; round += 1) {
        during.push(await managementRound(`during-cut ${round}`, victims[0]!.id));
        await sleep(2_500);
      }
      await sleep(Math.max(0, cutAt + 10_000 - Date.now()));
      proxy.resume();
      const resumedAt = Date.now();
      const recovered = await eventually(
        () => call(api.url, 'GET', '/api/api-keys', { token: user.accessToken }),
        (result) => result.status === 200,
        10_000,
      );
      const recoveryMs = Date.now() - resumedAt;
      const after = await managementRound('after-cut', victims[1]!.id);
      await sleep(1_000);
      await load.stop();

      // Readiness says why, liveness stays up.
      expect(health.status).toBe(503);
      expect(health.body.database).toBe('down');

      // Every management call during the cut: a clear, coded 503 promptly, nothing internal.
      const refused = during.flatMap((round) => Object.entries(round));
      for (const [name, answer] of refused) {
        expect({ name, status: answer.status }).toEqual({ name, status: 503 });
        expect(answer.body).toEqual({
          statusCode: 503,
          code: 'database_unavailable',
          message: 'The database is unreachable for the moment; try again shortly',
        });
        expect(answer.headers.get('retry-after')).toBe('5');
        expect(answer.ms).toBeLessThan(promptMs);
      }
      // The console's refresh cookie is kept through the outage (it still holds a session)...
      for (const round of during) expect(round.refresh?.headers.getSetCookie()).toEqual([]);

      // Back without a restart, within a few seconds.
      expect(recovered.status).toBe(200);
      expect(recoveryMs).toBeLessThan(5_000);
      expect(api.child.exitCode).toBeNull();
      for (const [name, answer] of Object.entries(after)) {
        expect({ name, status: answer.status }).toEqual({
          name,
          status:
            name === 'revokeKey'
              ? 204
              : name === 'createKey' || name === 'addCredential'
                ? 201
                : 200,
        });
      }
      expect(refreshCookie(after.login!)).toBeDefined();
      // ...and works once the database is back.
      expect(refreshCookie(after.refresh!)).toBeDefined();

      // Guarded traffic with a cached key went on; anything refused was refused cleanly.
      const results = load.results;
      const inCut = results.filter((r) => r.at >= cutAt && r.at < resumedAt);
      const statuses = new Map<number, number>();
      for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const fiveHundreds = results.filter((r) => r.status >= 500);
      expect(fiveHundreds.map((r) => r.text).slice(0, 3)).toEqual([]);
      expect(inCut.length).toBeGreaterThan(20);
      expect(
        inCut.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text.slice(0, 200)}`),
      ).toEqual([]);

      // Every guarded request sent got exactly one usage event.
      const sent = results.length + 4;
      const stored = await eventually(
        () =>
          countOf(api, 'SELECT count(*) AS n FROM usage_events WHERE key_id = $1', [user.keyId]),
        (n) => n >= sent,
        20_000,
      );
      expect(stored).toBe(sent);

      // State and audit agree: a 503 left neither a change nor an entry, a 2xx left both.
      const keysNamed = (pattern: string) =>
        countOf(api, 'SELECT count(*) AS n FROM api_keys WHERE user_id = $1 AND name LIKE $2', [
          user.userId,
          pattern,
        ]);
      const credentialsNamed = (pattern: string) =>
        countOf(
          api,
          'SELECT count(*) AS n FROM provider_credentials WHERE user_id = $1 AND name LIKE $2',
          [user.userId, pattern],
        );
      const audited = (action: string, targetId?: string) =>
        countOf(
          api,
          `SELECT count(*) AS n FROM audit_events
          WHERE owner_user_id = $1 AND action = $2 AND ($3::text IS NULL OR target_id = $3)`,
          [user.userId, action, targetId ?? null],
        );
      const revokedAt = async (id: string) =>
        (
          await queryDatabase<{ revoked_at: Date | null }>(
            api,
            'SELECT revoked_at FROM api_keys WHERE id = $1',
            [id],
          )
        )[0]?.revoked_at;
      expect(await keysNamed('during-cut%')).toBe(0);
      expect(await credentialsNamed('during-cut%')).toBe(0);
      expect(await revokedAt(victims[0]!.id)).toBeNull();
      expect(await audited('key.revoke', victims[0]!.id)).toBe(0);
      expect(await revokedAt(victims[1]!.id)).not.toBeNull();
      expect(await audited('key.revoke', victims[1]!.id)).toBe(1);
      const createdAfter = (after.createKey!.body as { id: string }).id;
      expect(await keysNamed('after-cut%')).toBe(1);
      expect(await audited('key.create', createdAfter)).toBe(1);
      // The user's own key and the two victims were made before the cut, one key after it.
      expect(await audited('key.create')).toBe(4);
      expect(await credentialsNamed('after-cut%')).toBe(1);
      expect(await audited('provider_key.create')).toBe(2);
      // Signed in once when signing up, once after the cut; never a failed sign-in.
      expect(await audited('auth.login')).toBe(2);
      expect(await audited('auth.login_failed')).toBe(0);
      // Logged as an outage, not as a bug, and not once per refused request.
      const log = api.output().split('\n');
      expect(log.filter((line) => line.includes('Unhandled error'))).toEqual([]);
      const reports = log.filter((line) => line.includes('Database unavailable')).length;
      expect(reports).toBeGreaterThanOrEqual(1);
      expect(reports).toBeLessThanOrEqual(2);
      expect(log.filter((line) => line.includes('idle database connection')).length).toBeLessThan(
        2,
      );

      console.log(
        `database outage: ${results.length + 4} guarded requests sent (${inCut.length} during the 10 s cut), ` +
          `${stored} usage events stored, ${fiveHundreds.length} answered 5xx; ` +
          `statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
          `${refused.length} management calls during the cut all 503 database_unavailable ` +
          `(slowest ${Math.round(Math.max(...refused.map(([, a]) => a.ms)))} ms); ` +
          `management back ${recoveryMs} ms after the database`,
      );
    });
  },
);

const describeRedisOutage = redisServerAvailable() ? describe : describe.skip;

describeRedisOutage('Redis away under load', () => {
  let upstream: FakeUpstream;
  let redis: PrivateRedis;
  let port: number;
  let a: ApiProcess;
  /** A second replica, sharing the database: PostgreSQL only (PGlite admits one process). */
  let b: ApiProcess | undefined;
  const prefix = `fault${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    redis = await startPrivateRedis();
    port = Number(new URL(redis.url).port);
    const env = {
      ...upstream.envFor(),
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      LOGIN_MAX_PER_IP_PER_MINUTE: '1000',
      // Long enough that only the invalidation message, never expiry, can stop a revoked key.
      KEY_CACHE_TTL_SECONDS: '600',
    };
    a = await startApi({ env });
    if (onPostgres) b = await startApi({ env });
  });
  afterAll(async () => {
    await Promise.all([a.stop(), b?.stop()]);
    await redis.stop();
    await upstream.stop();
  });

  it('falls back in process with bounded latency, still limits, and uses Redis again when it returns', async () => {
    const user = await gatewayUser(
      a,
      { openai: 'good' },
      { rateLimit: { limit: 10_000, windowSeconds: 1 } },
    );
    // As fast as the machine allows: a plan without a monthly request limit, so every answer is
    // the outage's doing and not the free plan's 1,000 requests.
    const admin = await signIn(a.url, 'admin@keyward.test', 'admin-password-for-tests');
    await moveToPlan(a, admin.accessToken, user.userId, 'enterprise');
    const limited = await createKey(a.url, user.accessToken, {
      name: 'limited',
      rateLimit: { limit: 20, windowSeconds: 60 },
    });
    for (let i = 0; i < 4; i += 1) expect((await guarded(a, user.key, i)).status).toBe(200);

    const load = steadyLoad(a, user.key, 4);
    await sleep(1_500);
    const stoppedAt = Date.now();
    await redis.stop();
    await sleep(300);
    // The limited key, counted from zero in process: 20 admitted, the rest refused.
    const overLimit: number[] = [];
    for (let i = 0; i < 30; i += 1) overLimit.push((await guarded(a, limited.key, 1)).status);
    await sleep(Math.max(0, stoppedAt + 5_000 - Date.now()));
    const health = await call<HealthResponse>(a.url, 'GET', '/api/health');
    redis = await startPrivateRedis(port);
    const restartedAt = Date.now();
    const reconnected = await eventually(
      () => call<HealthResponse>(a.url, 'GET', '/api/health'),
      (result) => result.body.redis === 'up',
      10_000,
    );
    const reconnectMs = Date.now() - restartedAt;
    await sleep(1_000);
    await load.stop();

    const results = load.results;
    const outage = results.filter((r) => r.at >= stoppedAt && r.at < restartedAt);
    const before = results.filter((r) => r.at < stoppedAt);
    const fiveHundreds = results.filter((r) => r.status >= 500);
    const p99Before = percentile(
      before.map((r) => r.ms),
      99,
    );
    const p99 = percentile(
      outage.map((r) => r.ms),
      99,
    );
    const admitted = overLimit.filter((status) => status === 200).length;
    console.log(
      `Redis outage: ${results.length} guarded requests (${outage.length} during the outage), ` +
        `${fiveHundreds.length} answered 5xx; p99 ${Math.round(p99Before)} ms before, ` +
        `${Math.round(p99)} ms during; limited key during the outage: ${admitted} admitted, ` +
        `${overLimit.length - admitted} refused; Redis used again ${reconnectMs} ms after its restart`,
    );
    expect(fiveHundreds.map((r) => r.text).slice(0, 3)).toEqual([]);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(health.body.redis).toBe('down');
    expect(overLimit.every((status) => status === 200 || status === 429)).toBe(true);
    expect(admitted).toBe(20);
    expect(outage.length).toBeGreaterThan(20);
    // Nothing waits on Redis: waiting for a command or connect timeout (1 s, 2 s) would put more
    // than one request in a hundred at a second or more. The bound sits below the shorter
    // timeout rather than near the baseline, which moves with the load on a shared machine.
    expect(p99).toBeLessThan(900);
    // Said once per outage, not once per request.
    const lines = a.output().split('\n');
    expect(lines.filter((line) => line.includes('Rate limiting falls back')).length).toBe(1);
    expect(lines.filter((line) => line.includes('Quota counters fall back')).length).toBe(1);

    // Back without a restart: counters are written to Redis again...
    expect(reconnected.body.redis).toBe('up');
    const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await probe.connect();
      await probe.flushall();
      // Spare admissions the replica took before the flush are handed out first (for up to
      // 200 ms); then it asks Redis again. A request per poll, each answered 200.
      const statuses: number[] = [];
      const written = await eventually(
        async () => {
          statuses.push((await guarded(a, user.key, 0)).status);
          return probe.keys(`${prefix}*`);
        },
        (keys) => keys.some((key) => key.includes('rl:')) && keys.some((k) => k.includes('quota:')),
        5_000,
      );
      expect(written.some((key) => key.includes('rl:'))).toBe(true);
      expect(written.some((key) => key.includes('quota:'))).toBe(true);
      expect(statuses.every((status) => status === 200)).toBe(true);
    } finally {
      probe.disconnect();
    }

    // ...and a revocation on one replica reaches the other through it again.
    if (b) {
      const replica = b;
      const victim = await createKey(a.url, user.accessToken, { preset: 'read_only' });
      const whoami = (api: ApiProcess) =>
        call(api.url, 'GET', '/v1/whoami', { headers: withKey(victim.key) });
      expect((await whoami(replica)).status).toBe(200); // cached on B for ten minutes
      const revoked = await call(a.url, 'DELETE', `/api/api-keys/${victim.id}`, {
        token: user.accessToken,
      });
      expect(revoked.status).toBe(204);
      const revokedAt = Date.now();
      const refused = await eventually(
        () => whoami(replica),
        (result) => result.status === 401,
        5_000,
      );
      const propagationMs = Date.now() - revokedAt;
      console.log(`Redis back: a revocation reached the other replica in ${propagationMs} ms`);
      // Without the message the other replica would keep the key cached for minutes; how fast it
      // arrives is the benchmark's figure 5, not a bound to hold on a loaded test machine.
      expect(refused.status).toBe(401);
    }
  });
});

describeRedisOutage('a monthly request limit when Redis restarts empty, then goes away', () => {
  let upstream: FakeUpstream;
  let redis: PrivateRedis;
  let api: ApiProcess;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    redis = await startPrivateRedis();
    api = await startApi({
      env: {
        ...upstream.envFor(),
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `quota${randomBytes(4).toString('hex')}:`,
        USAGE_FLUSH_INTERVAL_MS: '100',
      },
    });
  });
  afterAll(async () => {
    await api.stop();
    await redis.stop();
    await upstream.stop();
  });

  it('is counted on from what the database holds, in the restarted Redis and then in process', async () => {
    const user = await gatewayUser(api, { openai: 'good' });
    const admin = await signIn(api.url, 'admin@keyward.test', 'admin-password-for-tests');
    await moveToNewPlan(api, admin.accessToken, user.userId, { monthlyRequestLimit: 6 });
    const ask = async (): Promise<string> => {
      const answer = await call<{ code?: string }>(api.url, 'POST', '/v1/chat/completions', {
        headers: withKey(user.key),
        body: chatBody,
      });
      return answer.status === 200 ? 'ok' : `${answer.status} ${answer.body.code ?? answer.text}`;
    };
    const usedInDatabase = (count: number) =>
      eventually(
        () =>
          call<UsageSummaryResponse>(api.url, 'GET', '/api/usage/summary', {
            token: user.accessToken,
          }),
        (result) => result.body.month.requests.used === count,
      );
    const redisIs = (state: 'up' | 'down') =>
      eventually(
        () => call<HealthResponse>(api.url, 'GET', '/api/health'),
        (result) => result.body.redis === state,
        10_000,
      );

    for (let i = 0; i < 4; i++) expect(await ask()).toBe('ok');
    await usedInDatabase(4);

    // Redis keeps nothing on disk: restarted, its counters are gone, and are seeded again.
    const port = Number(new URL(redis.url).port);
    await redis.stop();
    redis = await startPrivateRedis(port);
    await redisIs('up');
    expect([await ask(), await ask(), await ask()]).toEqual(['ok', 'ok', '429 quota_exceeded']);
    await usedInDatabase(6);

    // Away: this process counts, from what the database holds rather than from zero.
    await redis.stop();
    await redisIs('down');
    expect(await ask()).toBe('429 quota_exceeded');
  });
});
