import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { REDIS } from '../redis/redis.module.js';
import type { CountedAlongside } from './counted-alongside.js';
import { MemoryRateLimitStore } from './memory-rate-limit.store.js';
import { RedisRateLimitStore } from './redis-rate-limit.store.js';
import type { RateLimitDecision } from './sliding-window.js';

/** A counted hit: the decision, the alongside totals (null when refused), and where it counted. */
export interface CountedHit {
  decision: RateLimitDecision;
  totals: number[] | null;
  /** True when counted in Redis, false when in process. */
  shared: boolean;
}

/**
 * Counts hits against a limit per key. Shared through Redis when configured, so replicas act as
 * one; if Redis cannot answer, the check falls back to in-process counting (logged once per
 * outage) rather than failing or hanging the request.
 */
@Injectable()
export class RateLimiterService {
  private readonly logger = new Logger(RateLimiterService.name);
  private readonly memory = new MemoryRateLimitStore();
  private readonly shared: RedisRateLimitStore | null;
  private usingFallback = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.shared = redis ? new RedisRateLimitStore(redis, `${config.redisKeyPrefix}rl:`) : null;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    return (await this.hitWith(key, limit, windowMs)).decision;
  }

  /**
   * Counts one hit and, when it is admitted, applies `alongside` in the same step (one Redis
   * round trip). `totals` are the alongside counters after the change, null when refused.
   */
  async hitWith(
    key: string,
    limit: number,
    windowMs: number,
    alongside?: CountedAlongside,
  ): Promise<CountedHit> {
    if (!this.shared || this.redis?.status !== 'ready') {
      if (this.shared) this.noteFallback('Redis not connected');
      return this.locally(key, limit, windowMs, alongside);
    }
    try {
      const result = await this.shared.hit(key, limit, windowMs, alongside?.shared);
      if (this.usingFallback) {
        this.logger.log('Rate limiting is shared through Redis again');
        this.usingFallback = false;
      }
      return { ...result, shared: true };
    } catch (error) {
      this.noteFallback(error instanceof Error ? error.message : String(error));
      return this.locally(key, limit, windowMs, alongside);
    }
  }

  private locally(
    key: string,
    limit: number,
    windowMs: number,
    alongside: CountedAlongside | undefined,
  ): CountedHit {
    const decision = this.memory.hit(key, limit, windowMs);
    const totals = decision.allowed ? (alongside?.locally() ?? []) : null;
    return { decision, totals, shared: false };
  }

  private noteFallback(reason: string): void {
    if (this.usingFallback) return;
    this.usingFallback = true;
    this.logger.warn(`Rate limiting falls back to in-process counters: ${reason}`);
  }
}
