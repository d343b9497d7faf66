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
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { applyRateLimitHeaders, rateLimitedError } from '../rate-limit/rate-limit.headers.js';

export const LOGIN_BY_IP = 'login-ip';
export const LOGIN_BY_ACCOUNT = 'login-account';

/** Which caller a throttler counts: the client IP, or the account named in the body. */
export function loginTracker(name: string, request: FastifyRequest): string {
  if (name === LOGIN_BY_ACCOUNT) {
    const body = request.body as { email?: unknown } | undefined;
    const email = typeof body?.email === 'string' ? body.email.trim().toLowerCase() : '';
    return `account:${email}`;
  }
  return `ip:${request.ip}`;
}

/**
 * Brute-force protection for sign-in and registration, on @nestjs/throttler's decorators and
 * options, but counting with Keyward's O(1) sliding-window limiter (shared through Redis when
 * configured) and answering with a coded 429 and Retry-After.
 */
@Injectable()
export class LoginThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly limiter: RateLimiterService,
  ) {
    super(options, storage, reflector);
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler } = props;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const name = throttler.name ?? 'default';
    const decision = await this.limiter.hit(
      `auth:${name}:${loginTracker(name, request)}`,
      limit,
      ttl,
    );
    if (!decision.allowed) {
      throw rateLimitedError(decision, 'Too many attempts; wait before trying again');
    }
    applyRateLimitHeaders(reply, decision);
    return true;
  }
}
