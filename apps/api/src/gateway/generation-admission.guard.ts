import {
  applyDecorators,
  Injectable,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { Scope } from '@keyward/shared';
import type { FastifyReply } from 'fastify';
import type { PrincipalRequest } from '../auth/principal.js';
import { RequireScopes, ScopesGuard } from '../auth/scopes.guard.js';
import { ApiKeyGuard } from '../keys/api-key.guard.js';
import { QuotaService, type QuotaTrackedRequest } from '../quotas/quota.service.js';
import { countAgainstKeyLimit } from '../rate-limit/key-rate-limit.guard.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';

/**
 * Admission for generation routes: the key's rate limit and the plan's monthly request count.
 * Under a monthly cap both are counted in one step, so the request waits for one Redis round
 * trip before it goes upstream, not two. With no cap, the key's hit can come from this
 * replica's spare admissions, like any guarded route's, and the count follows in the background:
 * most such requests go upstream without waiting on Redis at all. The slot taken is checked
 * against the plan by the handler (`QuotaService.admit`) and given back if the request is
 * refused or never served.
 */
@Injectable()
export class GenerationAdmissionGuard implements CanActivate {
  constructor(
    private readonly limiter: RateLimiterService,
    private readonly quotas: QuotaService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<PrincipalRequest & QuotaTrackedRequest>();
    const key = request.apiKey;
    if (!key) return true;
    const reply = http.getResponse<FastifyReply>();
    const count = await this.quotas.planCount(key);
    if (!count.capped) {
      await countAgainstKeyLimit(this.limiter, key, reply);
      request.keywardQuotaSlot = this.quotas.countUncapped(key, count);
      return true;
    }
    const { totals } = await countAgainstKeyLimit(this.limiter, key, reply, count.alongside);
    request.keywardQuotaSlot = this.quotas.slot(key, count, totals);
    return true;
  }
}

/** A generation route: API key only, then its rate limit and plan count at once, then scopes. */
export const GenerationAuth = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    RequireScopes(...scopes),
    UseGuards(ApiKeyGuard, GenerationAdmissionGuard, ScopesGuard),
    ApiSecurity('api-key'),
  );
