import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';

/** Counters outlive their month by a little, for late readers; then Redis forgets them. */
const COUNTER_TTL_SECONDS = 40 * 24 * 3600;

/**
 * Monthly counters for quota checks: in Redis when configured, so every replica sees the same
 * totals, in process otherwise (and while Redis is unreachable). Keys carry their month, so a
 * new month starts from zero by itself.
 */
export class QuotaCounters {
  private readonly logger = new Logger(QuotaCounters.name);
  private readonly memory = new Map<string, number>();
  private readonly memorySeeds = new Set<string>();
  private memoryMonth = '';
  private usingFallback = false;

  constructor(
    private readonly redis: Redis | null,
    private readonly prefix: string,
  ) {}

  async read(month: string, keys: string[]): Promise<number[]> {
    return this.shared(
      async (redis) => {
        // Separate reads rather than MGET: the keys may live in different cluster slots.
        const values = await Promise.all(keys.map((key) => redis.get(this.redisKey(month, key))));
        return values.map((value) => Number(value ?? 0));
      },
      () => keys.map((key) => this.local(month).get(key) ?? 0),
    );
  }

  /** Adds `amount` and returns the new total. */
  async add(month: string, key: string, amount: number): Promise<number> {
    return this.shared(
      async (redis) => {
        const name = this.redisKey(month, key);
        const [[, total] = [null, 0]] = (await redis
          .multi()
          .incrby(name, amount)
          .expire(name, COUNTER_TTL_SECONDS)
          .exec()) ?? [[null, 0]];
        return Number(total);
      },
      () => {
        const counters = this.local(month);
        const total = (counters.get(key) ?? 0) + amount;
        counters.set(key, total);
        return total;
      },
    );
  }

  /**
   * True for exactly one caller (per Redis, or per process) the first time a counter is used in
   * a month: that caller adds what the database already holds.
   */
  async claimSeed(month: string, key: string): Promise<boolean> {
    return this.shared(
      async (redis) =>
        (await redis.set(
          this.redisKey(month, `${key}:seeded`),
          '1',
          'EX',
          COUNTER_TTL_SECONDS,
          'NX',
        )) === 'OK',
      () => {
        this.local(month);
        if (this.memorySeeds.has(key)) return false;
        this.memorySeeds.add(key);
        return true;
      },
    );
  }

  /** Gives a claimed seed back, when loading what the database holds failed. */
  async releaseSeed(month: string, key: string): Promise<void> {
    await this.shared(
      async (redis) => {
        await redis.del(this.redisKey(month, `${key}:seeded`));
      },
      () => {
        this.memorySeeds.delete(key);
      },
    );
  }

  private async shared<T>(viaRedis: (redis: Redis) => Promise<T>, locally: () => T): Promise<T> {
    if (!this.redis || this.redis.status !== 'ready') {
      if (this.redis) this.noteFallback('Redis not connected');
      return locally();
    }
    try {
      const result = await viaRedis(this.redis);
      this.usingFallback = false;
      return result;
    } catch (error) {
      this.noteFallback(error instanceof Error ? error.message : String(error));
      return locally();
    }
  }

  private local(month: string): Map<string, number> {
    if (month !== this.memoryMonth) {
      this.memory.clear();
      this.memorySeeds.clear();
      this.memoryMonth = month;
    }
    return this.memory;
  }

  private redisKey(month: string, key: string): string {
    return `${this.prefix}quota:${month}:${key}`;
  }

  private noteFallback(reason: string): void {
    if (this.usingFallback) return;
    this.usingFallback = true;
    this.logger.warn(`Quota counters fall back to in-process counting: ${reason}`);
  }
}
