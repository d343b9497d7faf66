import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { DEFAULT_RATE_LIMIT } from '@keyward/shared';
import type { FastifyReply } from 'fastify';
import type { PrincipalRequest } from '../auth/principal.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import type { CountedAlongside } from './counted-alongside.js';
import { applyRateLimitHeaders, rateLimitedError } from './rate-limit.headers.js';
import { RateLimiterService } from './rate-limiter.service.js';

/**
 * Per-key rate limits: each key's own limit and window, counted by key id across every route the
 * key calls (so several replicas sharing Redis admit at most the limit in total). Requests signed
 * in through the console carry no key and are not limited here.
 */
@Injectable()
export class KeyRateLimitGuard extends ThrottlerGuard {
  // Same parameter order as ThrottlerGuard: Nest reads the parent's injection tokens by position.
  constructor(
    @InjectThrottlerOptions() _sharedOptions: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly limiter: RateLimiterService,
  ) {
    // One throttler whose numbers are placeholders: each key's own limit and window apply.
    super(
      {
        throttlers: [
          {
            name: 'api-key',
            limit: DEFAULT_RATE_LIMIT.limit,
            ttl: DEFAULT_RATE_LIMIT.windowSeconds * 1000,
          },
        ],
      },
      storage,
      reflector,
    );
  }

  protected override async handleRequest({ context }: ThrottlerRequest): Promise<boolean> {
    const request = context.switchToHttp().getRequest<PrincipalRequest>();
    const key = request.apiKey;
    if (!key) return true;
    await countAgainstKeyLimit(this.limiter, key, context.switchToHttp().getResponse<FastifyReply>());
    return true;
  }
}

/**
 * Counts a request against its key's own limit, sets the RateLimit headers, and refuses with 429
 * over the limit. Counters `alongside` change with the hit when it is admitted; their totals are
 * returned.
 */
export async function countAgainstKeyLimit(
  limiter: RateLimiterService,
  key: VerifiedKey,
  reply: FastifyReply,
  alongside?: CountedAlongside,
): Promise<number[]> {
  const { limit, windowSeconds } = key.rateLimit;
  const { decision, totals } = await limiter.hitWith(
    `key:${key.keyId}`,
    limit,
    windowSeconds * 1000,
    alongside,
  );
  applyRateLimitHeaders(reply, decision);
  if (!decision.allowed || !totals) {
    throw rateLimitedError(
      decision,
      `Rate limit of ${limit} requests per ${windowSeconds} s reached for this key`,
    );
  }
  return totals;
}
