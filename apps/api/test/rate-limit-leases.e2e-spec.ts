import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LEASE_TTL_MS, RateLimitLeases } from '../src/rate-limit/rate-limit-leases.js';
import { RedisRateLimitStore } from '../src/rate-limit/redis-rate-limit.store.js';

// Per-key limits counted in Redis by several replicas, each handing out spare admissions of its
// own: the guarantees hold against the real Redis of the PostgreSQL pass.
const redisUrl = process.env.TEST_REDIS_URL;
const describeWithRedis = redisUrl ? describe : describe.skip;

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
  const leases = new RateLimitLeases(store, (error) => failures.push(error));
  return {
    leases,
    calls,
    failures,
    close: () => {
      leases.stop();
      redis.disconnect();
    },
  };
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
  afterAll(() => {
    a.close();
    b.close();
  });

  it('admit exactly the limit together when 10 x L hits arrive at once', async () => {
    for (const limit of [7, 50, 1_000]) {
      const id = key();
      const hits = Array.from({ length: 10 * limit }, (_, i) =>
        (i % 2 === 0 ? a : b).leases.hit(id, limit, 60_000),
      );
      const decisions = await Promise.all(hits);
      expect(decisions.filter((d) => d.allowed)).toHaveLength(limit);
      for (const refused of decisions.filter((d) => !d.allowed)) {
        expect(refused.retryAfterSeconds).toBeGreaterThan(0);
      }
    }
    expect([...a.failures, ...b.failures]).toEqual([]);
  });

  it('ask Redis far less than once per hit while the window has room', async () => {
    const id = key();
    const before = a.calls.take;
    let admitted = 0;
    for (let round = 0; round < 20; round++) {
      const decisions = await Promise.all(
        Array.from({ length: 100 }, () => a.leases.hit(id, 100_000, 60_000)),
      );
      admitted += decisions.filter((d) => d.allowed).length;
    }
    expect(admitted).toBe(2_000);
    expect(a.calls.take - before).toBeLessThan(40);
  });

  it('count the last admissions of a window one by one, with exact remaining counts', async () => {
    const id = key();
    const remaining: number[] = [];
    for (let i = 0; i < 12; i++) {
      const decision = await (i % 2 === 0 ? a : b).leases.hit(id, 10, 60_000);
      remaining.push(decision.allowed ? decision.remaining : -1);
    }
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, -1, -1]);
  });

  it('give spare admissions back when their holder does not use them in time', async () => {
    const id = key();
    const limit = 64;
    // A takes one and holds a sixteenth of the room as spares: 1 + 4 counted.
    expect((await a.leases.hit(id, limit, 60_000)).allowed).toBe(true);
    const byB = async (n: number) => {
      let admitted = 0;
      for (let i = 0; i < n; i++) {
        if ((await b.leases.hit(id, limit, 60_000)).allowed) admitted += 1;
      }
      return admitted;
    };
    // B sees the window full while A still holds its spares ...
    expect(await byB(limit)).toBe(limit - 5);
    // ... and gets them once A has given them back.
    await sleep(LEASE_TTL_MS * 3);
    expect(await byB(10)).toBe(4);
    expect(a.failures).toEqual([]);
  });
});
