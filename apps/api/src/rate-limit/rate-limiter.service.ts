import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { errorMessage } from '../common/error-message.js';
import { LogThrottle } from '../common/log-throttle.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { REDIS } from '../redis/redis.module.js';
import { wasRefusedUnwritten } from '../redis/unwritten-command.js';
import type { CountedAlongside } from './counted-alongside.js';
import { MemoryRateLimitStore } from './memory-rate-limit.store.js';
import { RateLimitLeases } from './rate-limit-leases.js';
import { RedisRateLimitStore } from './redis-rate-limit.store.js';
import type { RateLimitDecision } from './sliding-window.js';

const leasedHit = (
  decision: RateLimitDecision,
): { decision: RateLimitDecision; totals: [] | null } => ({
  decision,
  totals: decision.allowed ? [] : null,
});

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
export class RateLimiterService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RateLimiterService.name);
  private readonly memory = new MemoryRateLimitStore();
  private readonly shared: RedisRateLimitStore | null;
  private readonly leases: RateLimitLeases | null;
  private usingFallback = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.shared = redis ? new RedisRateLimitStore(redis, `${config.redisKeyPrefix}rl:`) : null;
    // Once per 30 s: during an outage every busy key would report its own.
    const failedGiveBacks = new LogThrottle(30_000);
    this.leases = this.shared
      ? new RateLimitLeases(this.shared, (error) => {
          if (failedGiveBacks.pass() === undefined) return;
          this.logger.warn(
            `Could not give back unused admissions; they stay counted until their window ends: ${errorMessage(error)}`,
          );
        })
      : null;
  }

  /** Before Redis closes: spares this replica still holds go back for the other replicas. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.leases?.stop();
  }

  /** One hit, counted in Redis on its own (sign-in and invalid-key throttles). */
  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    return (await this.count(key, limit, windowMs, undefined, false)).decision;
  }

  /**
   * A hit against an API key's own limit. Alone, it may be granted from this replica's spare
   * admissions (RateLimitLeases: no round trip per request under load). With `alongside`, it
   * is counted in Redis on its own and the alongside counters change in the same step when it
   * is admitted; `totals` are their values then, null when refused.
   */
  async hitKey(
    key: string,
    limit: number,
    windowMs: number,
    alongside?: CountedAlongside,
  ): Promise<CountedHit> {
    return this.count(key, limit, windowMs, alongside, alongside === undefined);
  }

  private async count(
    key: string,
    limit: number,
    windowMs: number,
    alongside: CountedAlongside | undefined,
    leased: boolean,
  ): Promise<CountedHit> {
    if (!this.shared || this.redis?.status !== 'ready') {
      if (this.shared) this.noteFallback('Redis not connected');
      return this.locally(key, limit, windowMs, alongside, true);
    }
    try {
      const result =
        leased && this.leases
          ? leasedHit(await this.leases.hit(key, limit, windowMs))
          : await this.shared.hit(key, limit, windowMs, alongside?.shared);
      if (this.usingFallback) {
        this.logger.log('Rate limiting is shared through Redis again');
        this.usingFallback = false;
      }
      return { ...result, shared: true };
    } catch (error) {
      this.noteFallback(errorMessage(error));
      // A call refused before it was written never reached Redis: its counts are kept for it.
      return this.locally(key, limit, windowMs, alongside, wasRefusedUnwritten(error));
    }
  }

  private locally(
    key: string,
    limit: number,
    windowMs: number,
    alongside: CountedAlongside | undefined,
    neverSent: boolean,
  ): CountedHit {
    const decision = this.memory.hit(key, limit, windowMs);
    const totals = decision.allowed ? (alongside?.locally(neverSent) ?? []) : null;
    return { decision, totals, shared: false };
  }

  private noteFallback(reason: string): void {
    if (this.usingFallback) return;
    this.usingFallback = true;
    this.logger.warn(`Rate limiting falls back to in-process counters: ${reason}`);
  }
}
