import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { REDIS } from '../redis/redis.module.js';
import { MemoryRateLimitStore } from './memory-rate-limit.store.js';
import { RedisRateLimitStore } from './redis-rate-limit.store.js';
import type { RateLimitDecision } from './sliding-window.js';

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
    if (!this.shared || this.redis?.status !== 'ready') {
      if (this.shared) this.noteFallback('Redis not connected');
      return this.memory.hit(key, limit, windowMs);
    }
    try {
      const decision = await this.shared.hit(key, limit, windowMs);
      if (this.usingFallback) {
        this.logger.log('Rate limiting is shared through Redis again');
        this.usingFallback = false;
      }
      return decision;
    } catch (error) {
      this.noteFallback(error instanceof Error ? error.message : String(error));
      return this.memory.hit(key, limit, windowMs);
    }
  }

  private noteFallback(reason: string): void {
    if (this.usingFallback) return;
    this.usingFallback = true;
    this.logger.warn(`Rate limiting falls back to in-process counters: ${reason}`);
  }
}
