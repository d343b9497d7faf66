import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { RateLimitLeases } from '../src/rate-limit/rate-limit-leases.js';
import { RedisRateLimitStore } from '../src/rate-limit/redis-rate-limit.store.js';

// Per-key limits counted in Redis by several replicas, each handing out spare admissions of its
// own: the guarantees hold against the real Redis of the PostgreSQL pass.
const redisUrl = process.env.TEST_REDIS_URL;
const describeWithRedis = redisUrl ? describe : describe.skip;

// Windows of a day: a test never straddles a window boundary (windows align to the clock).
const WINDOW_MS = 24 * 3600 * 1000;
// Spares are given back by calling giveBackExpired, never by the timer mid-test.
const TTL_MS = 600_000;

/** A replica's view: its own Redis connection, store and leases, counting its calls to Redis. */
function replica(url: string, prefix: string) {
  const redis = new Redis(url, { enableAutoPipelining: true });
  const store = new RedisRateLimitStore(redis, prefix);
  const calls = { take: 0 };
  const take = store.take.bind(store);
  store.take = (...args: Parameters<RedisRateLimitStore['take']>) => {
    calls.take += 1;
    return take(...args);
  };
  const failures: unknown[] = [];
  const leases = new RateLimitLeases(store, (error) => failures.push(error), TTL_MS);
  return {
    prefix,
    leases,
    calls,
    failures,
    close: async () => {
      await leases.stop();
      redis.disconnect();
    },
  };
}

/** What Redis holds for a key's current window, read the way the limiter keys it. */
async function countedInWindow(prefix: string, id: string): Promise<number> {
  const redis = new Redis(redisUrl ?? '');
  try {
    const [seconds, micros] = await redis.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const start = now - (now % WINDOW_MS);
    return Number((await redis.get(`${prefix}{${id}}:${start}`)) ?? 0);
  } finally {
    redis.disconnect();
  }
}

describeWithRedis('per-key limits with spare admissions, over two replicas', () => {
  let a: ReturnType<typeof replica>;
  let b: ReturnType<typeof replica>;
  const key = () => `key:${randomBytes(6).toString('hex')}`;

  beforeAll(() => {
    const prefix = `lease${randomBytes(4).toString('hex')}:`;
    a = replica(redisUrl ?? '', prefix);
    b = replica(redisUrl ?? '', prefix);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('admit exactly the limit together when 10 x L hits arrive at once', async () => {
    for (const limit of [7, 50, 1_000]) {
      const id = key();
      const hits = Array.from({ length: 10 * limit }, (_, i) =>
        (i % 2 === 0 ? a : b).leases.hit(id, limit, WINDOW_MS),
      );
      const decisions = await Promise.all(hits);
      expect(decisions.filter((d) => d.allowed)).toHaveLength(limit);
      for (const refused of decisions.filter((d) => !d.allowed)) expect(refused.remaining).toBe(0);
    }
    expect([...a.failures, ...b.failures]).toEqual([]);
  });

  it('ask Redis far less than once per hit while the window has room', async () => {
    const id = key();
    const before = a.calls.take;
    let admitted = 0;
    // One at a time, so nothing is batched by waiting: only the spares save the calls.
    for (let i = 0; i < 2_000; i++) {
      if ((await a.leases.hit(id, 100_000, WINDOW_MS)).allowed) admitted += 1;
    }
    expect(admitted).toBe(2_000);
    expect(a.calls.take - before).toBeLessThanOrEqual(2);
  });

  it('count the last admissions of a window one by one, with exact remaining counts', async () => {
    const id = key();
    const remaining: number[] = [];
    for (let i = 0; i < 12; i++) {
      const decision = await (i % 2 === 0 ? a : b).leases.hit(id, 10, WINDOW_MS);
      remaining.push(decision.allowed ? decision.remaining : -1);
    }
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, -1, -1]);
  });

  it('give spare admissions back when their holder does not use them in time', async () => {
    const id = key();
    const limit = 64;
    // A takes one and holds a sixteenth of the room as spares: 1 + 4 counted.
    expect((await a.leases.hit(id, limit, WINDOW_MS)).allowed).toBe(true);
    const byB = async (n: number) => {
      let admitted = 0;
      for (let i = 0; i < n; i++) {
        if ((await b.leases.hit(id, limit, WINDOW_MS)).allowed) admitted += 1;
      }
      return admitted;
    };
    // The price of spares: B sees the window full while A still holds 4 unused ...
    expect(await byB(limit)).toBe(limit - 5);
    // ... and gets exactly those once A's lease time is over.
    a.leases.giveBackExpired(performance.now() + TTL_MS + 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await byB(10)).toBe(4);
    expect(a.failures).toEqual([]);
  });

  it('give every spare back at shutdown', async () => {
    const id = key();
    const limit = 64;
    const c = replica(redisUrl ?? '', `stop${randomBytes(4).toString('hex')}:`);
    const d = replica(redisUrl ?? '', c.prefix);
    expect((await c.leases.hit(id, limit, WINDOW_MS)).allowed).toBe(true);
    await c.close();
    let admitted = 0;
    for (let i = 0; i < limit; i++) {
      if ((await d.leases.hit(id, limit, WINDOW_MS)).allowed) admitted += 1;
    }
    await d.close();
    expect(admitted).toBe(limit - 1);
  });

  it('wait for a call in flight when the limit changes, counting each hit once', async () => {
    const id = key();
    const decisions = await Promise.all([
      ...Array.from({ length: 20 }, () => a.leases.hit(id, 30, WINDOW_MS)),
      ...Array.from({ length: 20 }, () => a.leases.hit(id, 25, WINDOW_MS)),
    ]);
    const admitted = decisions.filter((d) => d.allowed).length;
    // Both limits count the same window: at most the larger one in all.
    expect(admitted).toBeLessThanOrEqual(30);
    expect(admitted).toBeGreaterThanOrEqual(25);
    // Once the spares are back, the window holds exactly the hits admitted: none counted twice.
    a.leases.giveBackExpired(performance.now() + TTL_MS + 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await countedInWindow(a.prefix, id)).toBe(admitted);
  });
});
