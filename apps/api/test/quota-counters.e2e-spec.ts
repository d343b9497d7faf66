import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../src/config/app-config.js';
import { QuotaCounters } from '../src/quotas/quota-counters.js';
import { RateLimiterService } from '../src/rate-limit/rate-limiter.service.js';
import { createRedisClient } from '../src/redis/redis.module.js';

// Monthly quota counters against the real Redis of the PostgreSQL pass.
const redisUrl = process.env.TEST_REDIS_URL;
const describeWithRedis = redisUrl ? describe : describe.skip;

const MONTH = '2026-12';

describeWithRedis('quota counters in Redis', () => {
  let redis: Redis;
  let counters: QuotaCounters;
  let prefix: string;
  /** Script calls made, and whether the next one should fail. */
  const calls = { made: 0, failNext: false };

  beforeAll(async () => {
    // Without auto-pipelining, so the script's calls can be counted where they are made.
    redis = new Redis(redisUrl ?? '');
    prefix = `qc${randomBytes(4).toString('hex')}:`;
    counters = new QuotaCounters(redis, prefix);
    const scripted = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const change = scripted.keywardQuotaChange?.bind(redis);
    if (!change) throw new Error('the quota script was not defined');
    scripted.keywardQuotaChange = (...args: unknown[]) => {
      calls.made += 1;
      if (calls.failNext) {
        // Fails as a timeout does: a while after it was sent.
        calls.failNext = false;
        return new Promise((_, reject) =>
          setTimeout(() => {
            reject(new Error('Command timed out'));
          }, 50),
        );
      }
      return change(...args);
    };
    await redis.ping();
  });

  afterAll(() => {
    redis.disconnect();
  });

  it('counts concurrent changes in few calls, each caller seeing the totals its own change made', async () => {
    const before = calls.made;
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        counters.changeReporting(MONTH, [
          { key: 'user:a:requests', amount: 1 },
          { key: 'user:a:cost', amount: i % 2 === 0 ? 10 : 0 },
        ]),
      ),
    );
    // Redis has them all, and each caller got a total of its own, as if they had come one by one.
    expect(answers.every((answer) => answer.inRedis)).toBe(true);
    expect(answers.map((answer) => answer.totals[0])).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    expect(answers.map((answer) => answer.totals[1])).toEqual(
      Array.from({ length: 200 }, (_, i) => 10 * Math.floor(i / 2 + 1)),
    );
    expect(await redis.get(`${prefix}quota:${MONTH}:user:a:requests`)).toBe('200');
    expect(await redis.get(`${prefix}quota:${MONTH}:user:a:cost`)).toBe('1000');
    // The first went at once; the rest waited for it and went together.
    expect(calls.made - before).toBeLessThanOrEqual(3);
    // Counters the script created expire after their month.
    expect(await redis.ttl(`${prefix}quota:${MONTH}:user:a:requests`)).toBeGreaterThan(0);
  });

  it('counts a batch Redis failed to take in this process, and all that queued behind it', async () => {
    const one = () => counters.changeReporting(MONTH, [{ key: 'user:b:requests', amount: 1 }]);
    const before = calls.made;
    // One call out, so the next ones queue behind it and go (and fail) together.
    const first = one();
    calls.failNext = true;
    const failing = Array.from({ length: 5 }, one);
    expect(await first).toMatchObject({ totals: [1], inRedis: true });
    // Queued while the failing call is out (it fails 50 ms after it was sent): counted in
    // process with it, not sent in a call of their own after the wait.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const behind = Array.from({ length: 3 }, one);
    const failed = await Promise.all([...failing, ...behind]);
    expect(failed.map((answer) => answer.inRedis)).toEqual(Array.from({ length: 8 }, () => false));
    expect(failed.map((answer) => answer.totals[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(calls.made - before).toBe(2);
    // Nothing of the failed call reached Redis, and the queue goes on afterwards.
    expect(await redis.get(`${prefix}quota:${MONTH}:user:b:requests`)).toBe('1');
    expect(
      await counters.changeReporting(MONTH, [{ key: 'user:b:requests', amount: 1 }]),
    ).toMatchObject({
      totals: [2],
      inRedis: true,
    });
  });
  it('gives requests back in few calls, and never from this process when their call fails', async () => {
    const requests = `${prefix}quota:${MONTH}:user:g:requests`;
    const one = () => counters.changeReporting(MONTH, [{ key: 'user:g:requests', amount: 1 }]);
    const giveBack = () => counters.undo(MONTH, 'user:g:requests', 1, { inRedis: true });
    await Promise.all(Array.from({ length: 100 }, one));

    const before = calls.made;
    await Promise.all(Array.from({ length: 60 }, giveBack));
    expect(calls.made - before).toBeLessThanOrEqual(3);
    expect(await redis.get(requests)).toBe('40');

    // A count and give-backs queued behind a call that fails: the counts move into this process,
    // and the give-backs, which took nothing here, take nothing from them.
    const first = one();
    calls.failNext = true;
    const [counted, , , countedAfter] = await Promise.all([one(), giveBack(), giveBack(), one()]);
    expect(await first).toMatchObject({ totals: [41], inRedis: true });
    expect(counted).toMatchObject({ totals: [1], inRedis: false });
    expect(countedAfter).toMatchObject({ totals: [2], inRedis: false });
    expect(await redis.get(requests)).toBe('41');
  });

  it('keeps an absurd amount from failing the changes that share its call', async () => {
    const answers = await Promise.all([
      counters.changeReporting(MONTH, [{ key: 'user:c:requests', amount: 1 }]),
      counters.changeReporting(MONTH, [{ key: 'user:c:cost', amount: 1e30 }]),
      counters.changeReporting(MONTH, [{ key: 'user:c:requests', amount: 1 }]),
    ]);
    expect(answers.map((answer) => answer.inRedis)).toEqual([true, true, true]);
    expect(answers.map((answer) => answer.totals[0])).toEqual([1, 1e15, 2]);
  });
});

describeWithRedis('quota counter seeds across a Redis outage', () => {
  const key = (prefix: string, counter: string) => `${prefix}quota:${MONTH}:${counter}`;

  /** Counters under a prefix of their own, on a connection of their own that `test` ends with. */
  const withCounters = async (
    test: (setup: { redis: Redis; counters: QuotaCounters; prefix: string }) => Promise<void>,
  ) => {
    const redis = new Redis(redisUrl ?? '');
    const prefix = `qs${randomBytes(4).toString('hex')}:`;
    const counters = new QuotaCounters(redis, prefix);
    try {
      await redis.ping();
      await test({ redis, counters, prefix });
    } finally {
      redis.disconnect();
    }
  };

  /**
   * The next `times` calls of one of the quota scripts fail after `delayMs` without running, as a
   * call that timed out may have (or not).
   */
  const failScriptCalls = (
    redis: Redis,
    command: 'keywardQuotaSeed' | 'keywardQuotaChange',
    times: number,
    delayMs: number,
  ) => {
    const scripted = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const original = scripted[command]?.bind(redis);
    if (!original) throw new Error(`the ${command} script was not defined`);
    let failing = times;
    scripted[command] = (...args: unknown[]) => {
      if (failing <= 0) return original(...args);
      failing -= 1;
      return new Promise((_, reject) =>
        setTimeout(() => {
          reject(new Error('Command timed out'));
        }, delayMs),
      );
    };
  };
  /** A seed call that times out, as when Redis stops answering for a moment. */
  const failSeedCalls = (redis: Redis, times: number) => {
    failScriptCalls(redis, 'keywardQuotaSeed', times, 20);
  };

  it('adds a seed whose Redis call failed in this process once, however many requests claim it there', () =>
    withCounters(async ({ redis, counters }) => {
      failSeedCalls(redis, 1);
      const claim = await counters.claimSeed(MONTH, 'user:s');
      expect(claim).toMatchObject({ inRedis: true });
      if (!claim) return;
      await counters.applySeed(claim, [{ key: 'user:s:requests', amount: 500 }]);

      // Redis goes away: counting moves into this process, and every request claims its seed
      // again there. The database's 500 is already in.
      redis.disconnect();
      for (let request = 0; request < 3; request++) {
        expect(await counters.claimSeed(MONTH, 'user:s')).toBeNull();
      }
      expect(await counters.read(MONTH, ['user:s:requests'])).toEqual([500]);
    }));

  it('seeds Redis again when its seed call failed and Redis answers again with its data kept', () =>
    withCounters(async ({ redis, counters, prefix }) => {
      let storeChanges = 0;
      counters.onStoreChange(() => {
        storeChanges += 1;
      });
      failSeedCalls(redis, 1);
      const claim = await counters.claimSeed(MONTH, 'user:u');
      if (!claim) throw new Error('the first claim was refused');
      await counters.applySeed(claim, [{ key: 'user:u:requests', amount: 500 }]);
      const changesAfterTimeout = storeChanges;
      expect(changesAfterTimeout).toBeGreaterThan(0);

      // The next call is answered, with no reconnect: the counters moved back to Redis, which
      // never got the seed. Claimed again, it goes there now.
      expect(await counters.read(MONTH, ['user:u:requests'])).toEqual([0]);
      expect(storeChanges).toBe(changesAfterTimeout + 1);
      const again = await counters.claimSeed(MONTH, 'user:u');
      expect(again).toMatchObject({ inRedis: true });
      if (!again) return;
      await counters.applySeed(again, [{ key: 'user:u:requests', amount: 500 }]);
      expect(await redis.get(key(prefix, 'user:u:requests'))).toBe('500');
      expect(await counters.claimSeed(MONTH, 'user:u')).toBeNull();
    }));

  it('adds the database once when two replicas seed the same owner at the same moment', async () => {
    const prefix = `qs${randomBytes(4).toString('hex')}:`;
    const replicas = [new Redis(redisUrl ?? ''), new Redis(redisUrl ?? '')];
    const counters = replicas.map((redis) => new QuotaCounters(redis, prefix));
    try {
      await Promise.all(replicas.map((redis) => redis.ping()));
      // Both find the seed missing and load the database before either adds it.
      const claims = await Promise.all(counters.map((one) => one.claimSeed(MONTH, 'user:v')));
      expect(claims.map((claim) => claim?.inRedis)).toEqual([true, true]);
      await Promise.all(
        counters.map(async (one, i) => {
          const claim = claims[i];
          if (claim) await one.applySeed(claim, [{ key: 'user:v:requests', amount: 500 }]);
        }),
      );
      expect(await replicas[0]?.get(key(prefix, 'user:v:requests'))).toBe('500');
      expect(await Promise.all(counters.map((one) => one.claimSeed(MONTH, 'user:v')))).toEqual([
        null,
        null,
      ]);
    } finally {
      for (const redis of replicas) redis.disconnect();
    }
  });

  it('starts an outage from the seed alone, not from requests the rate limiter counted here before', () =>
    withCounters(async ({ redis, counters }) => {
      // Three admissions whose rate-limit call to Redis failed were counted in this process.
      const counted = counters.alongside(MONTH, [{ key: 'user:w:requests', amount: 1 }]);
      for (let request = 0; request < 3; request++) counted.locally(false);

      redis.disconnect();
      const claim = await counters.claimSeed(MONTH, 'user:w');
      expect(claim).toMatchObject({ inRedis: false });
      if (!claim) return;
      await counters.applySeed(claim, [{ key: 'user:w:requests', amount: 500 }]);
      expect(await counters.read(MONTH, ['user:w:requests'])).toEqual([500]);
    }));

  it('gives a request back only to the counters it was counted in', () =>
    withCounters(async ({ redis, counters }) => {
      // Admitted in process after the rate limiter's Redis call failed, and to be given back.
      const admitted = counters.alongside(MONTH, [{ key: 'user:x:requests', amount: 1 }]);
      admitted.locally(false);
      const countedIn = admitted.countedIn();

      // Redis goes away before the give-back: counting here starts again from the seed.
      redis.disconnect();
      const claim = await counters.claimSeed(MONTH, 'user:x');
      if (!claim) throw new Error('the seed was not claimed');
      await counters.applySeed(claim, [{ key: 'user:x:requests', amount: 500 }]);
      await counters.undo(MONTH, 'user:x:requests', 1, countedIn);
      expect(await counters.read(MONTH, ['user:x:requests'])).toEqual([500]);

      // A request counted in these counters is given back from them.
      const counted = await counters.changeReporting(MONTH, [
        { key: 'user:x:requests', amount: 1 },
      ]);
      expect(counted.totals).toEqual([501]);
      await counters.undo(MONTH, 'user:x:requests', 1, counted.countedIn);
      expect(await counters.read(MONTH, ['user:x:requests'])).toEqual([500]);
    }));

  it('drops a seed claimed while Redis was away once Redis is back, so the database is not added twice', async () => {
    const prefix = `qs${randomBytes(4).toString('hex')}:`;
    const seeded = new Redis(redisUrl ?? '');
    // What Redis held before the outage: the seed done and its counter.
    await seeded.set(key(prefix, 'user:t:seeded'), '1');
    await seeded.set(key(prefix, 'user:t:requests'), '500');
    const redis = new Redis(redisUrl ?? '', { lazyConnect: true });
    const counters = new QuotaCounters(redis, prefix);
    try {
      const claim = await counters.claimSeed(MONTH, 'user:t');
      expect(claim).toMatchObject({ inRedis: false });
      if (!claim) return;
      await redis.connect();
      await counters.applySeed(claim, [{ key: 'user:t:requests', amount: 500 }]);

      expect(await seeded.get(key(prefix, 'user:t:requests'))).toBe('500');
      expect(await counters.read(MONTH, ['user:t:requests'])).toEqual([500]);
      // Claimed again where counting goes now: Redis says it was done.
      expect(await counters.claimSeed(MONTH, 'user:t')).toBeNull();

      // Nor is the stale seed waiting in this process for the next outage, whose seed adds the
      // database's 500 once, however many requests claim it.
      const closed = new Promise((resolve) => redis.once('end', resolve));
      redis.disconnect();
      await closed;
      const next = await counters.claimSeed(MONTH, 'user:t');
      expect(next).toMatchObject({ inRedis: false });
      if (!next) return;
      await counters.applySeed(next, [{ key: 'user:t:requests', amount: 500 }]);
      expect(await counters.claimSeed(MONTH, 'user:t')).toBeNull();
      expect(await counters.read(MONTH, ['user:t:requests'])).toEqual([500]);
    } finally {
      redis.disconnect();
      seeded.disconnect();
    }
  });

  /** Change calls that fail without running, as a call that timed out may (or may not). */
  const failChangeCalls = (redis: Redis, times: number) => {
    failScriptCalls(redis, 'keywardQuotaChange', times, 30);
  };

  /** Counts for `owner` seeded in Redis, then Redis goes away; resolves once it is gone. */
  const seededThenAway = async (redis: Redis, counters: QuotaCounters, owner: string) => {
    await counters.whenReconnected();
    const claim = await counters.claimSeed(MONTH, owner);
    if (!claim) throw new Error('the seed was not claimed');
    await counters.applySeed(claim, [{ key: `${owner}:requests`, amount: 10 }]);
    await goAway(redis);
  };

  const goAway = async (redis: Redis) => {
    const closed = new Promise((resolve) => redis.once('end', resolve));
    redis.disconnect();
    await closed;
  };

  /** What Redis did not see: two requests counted here, one given back, one seeded nowhere. */
  const countWhileAway = async (counters: QuotaCounters, owner: string) => {
    const one = [{ key: `${owner}:requests`, amount: 1 }];
    await counters.changeReporting(MONTH, one);
    // Admitted by the rate limiter while Redis was not connected.
    counters.alongside(MONTH, one).locally(true);
    const givenBack = await counters.changeReporting(MONTH, one);
    await counters.undo(MONTH, `${owner}:requests`, 1, givenBack.countedIn);
    await counters.changeReporting(MONTH, [{ key: 'user:unseeded:requests', amount: 1 }]);
  };

  it('adds to Redis, once it is back with its data, what was counted here while it was away', () =>
    withCounters(async ({ redis, counters, prefix }) => {
      // A call that was sent and timed out: Redis may have run it, so it is not sent again.
      failChangeCalls(redis, 1);
      await counters.change(MONTH, [{ key: 'user:m:requests', amount: 1 }]);

      await seededThenAway(redis, counters, 'user:m');
      await countWhileAway(counters, 'user:m');
      await redis.connect();

      expect(await counters.whenReconnected()).toBe(1);
      expect(await redis.get(key(prefix, 'user:m:requests'))).toBe('12');
      // Its owner was never seeded in Redis: the seed reads it from the database instead.
      expect(await redis.get(key(prefix, 'user:unseeded:requests'))).toBeNull();
      // Added once: a later reconnect has nothing left to add.
      await goAway(redis);
      await redis.connect();
      expect(await counters.whenReconnected()).toBe(0);
      expect(await redis.get(key(prefix, 'user:m:requests'))).toBe('12');
    }));

  /**
   * Another replica seeds `owner` from the database (holding `total`) while this one is away;
   * then this one comes back and must add nothing of its own on top.
   */
  const seededElsewhereThenBack = async (
    redis: Redis,
    counters: QuotaCounters,
    prefix: string,
    owner: string,
    total: number,
  ) => {
    const other = new Redis(redisUrl ?? '');
    try {
      await other.set(key(prefix, `${owner}:seeded`), 'a-seed-made-elsewhere');
      await other.set(key(prefix, `${owner}:requests`), String(total));
      await redis.connect();
      expect(await counters.whenReconnected()).toBe(0);
      expect(await other.get(key(prefix, `${owner}:requests`))).toBe(String(total));
    } finally {
      other.disconnect();
    }
  };

  it('leaves what was counted here to the seeds when Redis lost its data while away', () =>
    withCounters(async ({ redis, counters, prefix }) => {
      await seededThenAway(redis, counters, 'user:l');
      await countWhileAway(counters, 'user:l');
      // Redis restarted empty, and another replica seeded from the database, which by then held
      // this replica's requests too.
      await seededElsewhereThenBack(redis, counters, prefix, 'user:l', 12);
    }));

  it('leaves to the seeds what was counted here for an owner first seeded in Redis meanwhile', () =>
    withCounters(async ({ redis, counters, prefix }) => {
      await counters.whenReconnected();
      await goAway(redis);
      await countWhileAway(counters, 'user:f');
      // Another replica seeds the owner from the database, which holds this replica's requests.
      await seededElsewhereThenBack(redis, counters, prefix, 'user:f', 2);
    }));

  /**
   * With the app's own client (no offline queue, so a command meeting a dead socket is refused),
   * an owner seeded with 10; `countOne` counts one request after the socket is gone but before
   * the client has heard of it; resolves to the counter once the client is back.
   */
  const countedAsTheSocketDrops = async (
    countOne: (counters: QuotaCounters, redis: Redis, prefix: string) => Promise<unknown>,
  ): Promise<string | null> => {
    const redis = createRedisClient(redisUrl ?? '');
    const prefix = `qw${randomBytes(4).toString('hex')}:`;
    const counters = new QuotaCounters(redis, prefix);
    try {
      // It refuses commands until it is connected, too.
      await new Promise((resolve) => redis.once('ready', resolve));
      await counters.whenReconnected();
      const claim = await counters.claimSeed(MONTH, 'user:w');
      if (!claim) throw new Error('the seed was not claimed');
      await counters.applySeed(claim, [{ key: 'user:w:requests', amount: 10 }]);
      const back = new Promise((resolve) => redis.once('ready', resolve));
      redis.stream.destroy();
      expect(redis.status).toBe('ready');
      await countOne(counters, redis, prefix);
      await back;
      expect(await counters.whenReconnected()).toBe(1);
      return await redis.get(key(prefix, 'user:w:requests'));
    } finally {
      redis.disconnect();
    }
  };

  it('keeps for Redis a quota call the client refused unwritten because its connection had just dropped', async () => {
    const total = await countedAsTheSocketDrops(async (counters) => {
      const counted = await counters.changeReporting(MONTH, [
        { key: 'user:w:requests', amount: 1 },
      ]);
      expect(counted).toMatchObject({ inRedis: false, totals: [1] });
    });
    expect(total).toBe('11');
  });

  it("keeps for Redis a capped plan's count whose rate-limit call was refused unwritten", async () => {
    // A capped plan's count goes with its key's rate-limit hit, in the limiter's own call.
    const total = await countedAsTheSocketDrops(async (counters, redis, prefix) => {
      const limiter = new RateLimiterService(redis, { redisKeyPrefix: prefix } as AppConfig);
      const alongside = counters.alongside(MONTH, [{ key: 'user:w:requests', amount: 1 }]);
      const hit = await limiter.hitKey('key-w', 100, 60_000, alongside);
      expect(hit).toMatchObject({ shared: false, decision: { allowed: true } });
    });
    expect(total).toBe('11');
  });

  it('keeps for Redis what was queued behind a call that failed, but not what that call carried', () =>
    withCounters(async ({ redis, counters, prefix }) => {
      await counters.whenReconnected();
      const claim = await counters.claimSeed(MONTH, 'user:q');
      if (!claim) throw new Error('the seed was not claimed');
      await counters.applySeed(claim, [{ key: 'user:q:requests', amount: 10 }]);
      failChangeCalls(redis, 1);
      const one = [{ key: 'user:q:requests', amount: 1 }];
      const carried = counters.changeReporting(MONTH, one);
      // Queued behind it: two counts, and the give-back of a request Redis counted before.
      await Promise.all([
        carried,
        counters.changeReporting(MONTH, one),
        counters.undo(MONTH, 'user:q:requests', 1, { inRedis: true }),
        counters.changeReporting(MONTH, one),
      ]);
      await goAway(redis);
      await redis.connect();
      expect(await counters.whenReconnected()).toBe(1);
      expect(await redis.get(key(prefix, 'user:q:requests'))).toBe('11');
    }));
});
