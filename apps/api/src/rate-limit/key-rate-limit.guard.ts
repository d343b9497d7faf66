import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { PrincipalRequest } from '../auth/principal.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import type { CountedAlongside } from './counted-alongside.js';
import { applyRateLimitHeaders, rateLimitedError } from './rate-limit.headers.js';
import { RateLimiterService, type CountedHit } from './rate-limiter.service.js';

/**
 * Per-key rate limits: each key's own limit and window, counted by key id across every route the
 * key calls (so several replicas sharing Redis admit at most the limit in total). Requests signed
 * in through the console carry no key and are not limited here.
 *
 * A plain guard rather than a ThrottlerGuard subclass: every number comes from the key, so the
 * throttler's per-request metadata lookups (five per throttler, on every guarded call) bought
 * nothing and were a tenth of a guarded call's allocations.
 */
@Injectable()
export class KeyRateLimitGuard implements CanActivate {
  constructor(private readonly limiter: RateLimiterService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const key = http.getRequest<PrincipalRequest>().apiKey;
    if (key) await countAgainstKeyLimit(this.limiter, key, http.getResponse<FastifyReply>());
    return true;
  }
}

/**
 * Counts a request against its key's own limit, sets the RateLimit headers, and refuses with 429
 * over the limit. Counters `alongside` change with the hit when it is admitted; their totals are
 * in the answer.
 */
export async function countAgainstKeyLimit(
  limiter: RateLimiterService,
  key: VerifiedKey,
  reply: FastifyReply,
  alongside?: CountedAlongside,
): Promise<CountedHit & { totals: number[] }> {
  const { limit, windowSeconds } = key.rateLimit;
  const hit = await limiter.hitKey(`key:${key.keyId}`, limit, windowSeconds * 1000, alongside);
  const { decision, totals } = hit;
  applyRateLimitHeaders(reply, decision);
  if (!decision.allowed || !totals) {
    throw rateLimitedError(
      decision,
      `Rate limit of ${limit} requests per ${windowSeconds} s reached for this key`,
    );
  }
  return { ...hit, totals };
}
