import { Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { RateLimiterService } from './rate-limiter.service.js';

/**
 * Backs @nestjs/throttler with Keyward's limiter instead of the package's default storage, whose
 * per-request cost grows with traffic. `blockDuration` is not modelled: a refused caller waits
 * for the sliding window to make room.
 */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

@Injectable()
export class SlidingWindowThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly limiter: RateLimiterService) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const decision = await this.limiter.hit(key, limit, ttl);
    return {
      totalHits: decision.allowed ? limit - decision.remaining : limit + 1,
      timeToExpire: decision.resetSeconds,
      isBlocked: !decision.allowed,
      timeToBlockExpire: decision.retryAfterSeconds,
    };
  }
}
