import type { FastifyReply } from 'fastify';
import { AppException } from '../common/app.exception.js';
import type { RateLimitDecision } from './sliding-window.js';

/** IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers), plus Retry-After on 429. */
export function applyRateLimitHeaders(reply: FastifyReply, decision: RateLimitDecision): void {
  void reply.header('RateLimit-Limit', decision.limit);
  void reply.header('RateLimit-Remaining', decision.remaining);
  void reply.header('RateLimit-Reset', decision.resetSeconds);
}

export function rateLimitedError(decision: RateLimitDecision, message: string): AppException {
  return new AppException(429, 'rate_limited', message, undefined, {
    'Retry-After': String(decision.retryAfterSeconds),
  });
}
