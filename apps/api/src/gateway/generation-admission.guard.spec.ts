import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import type { PlanResponse } from '@keyward/shared';
import { inProcessQuotas, keyOn } from '../../test/support/quotas.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import type { QuotaTrackedRequest } from '../quotas/quota.service.js';
import type { CountedAlongside } from '../rate-limit/counted-alongside.js';
import type { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { GenerationAdmissionGuard } from './generation-admission.guard.js';

const UNCAPPED: PlanResponse = {
  id: 'enterprise',
  name: 'Enterprise',
  monthlyRequestLimit: null,
  monthlyCostLimitMicros: null,
  sortOrder: 2,
  retiredAt: null,
};

/**
 * Admits one request of `key` on `plan`, and reports how the key's hit was counted: with the
 * plan's count alongside (one Redis call with the totals) or on its own (spare admissions).
 */
async function admit(plan: PlanResponse, key: VerifiedKey) {
  const hits: (CountedAlongside | undefined)[] = [];
  const limiter = {
    hitKey: (_key: string, limit: number, _windowMs: number, alongside?: CountedAlongside) => {
      hits.push(alongside);
      return Promise.resolve({
        decision: {
          allowed: true,
          limit,
          remaining: limit - 1,
          retryAfterSeconds: 0,
          resetSeconds: 60,
        },
        totals: alongside ? alongside.locally(false) : [],
        shared: false,
      });
    },
  } as unknown as RateLimiterService;
  const quotas = inProcessQuotas(plan);
  const request: QuotaTrackedRequest & { apiKey: VerifiedKey } = { apiKey: key };
  const reply = { header: () => reply };
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  await new GenerationAdmissionGuard(limiter, quotas).canActivate(context);
  const slot = request.keywardQuotaSlot;
  await slot?.counted;
  return { alongside: hits.map((hit) => hit !== undefined), slot, quotas, key };
}

describe('GenerationAdmissionGuard', () => {
  it('takes an uncapped request from spare admissions and counts it for its plan all the same', async () => {
    const { alongside, slot, quotas, key } = await admit(UNCAPPED, keyOn(UNCAPPED));
    expect(alongside).toEqual([false]);
    expect(slot?.plan).toBe(UNCAPPED);
    expect((await quotas.used(key)).requests).toBe(1);
  });

  it.each([
    ['a monthly request limit', { ...UNCAPPED, id: 'free', monthlyRequestLimit: 1_000 }, null],
    ['a monthly cost limit', { ...UNCAPPED, id: 'pro', monthlyCostLimitMicros: 200 }, null],
    ['a key budget', UNCAPPED, 20],
  ])('counts the plan in the key hit’s own Redis call under %s', async (_cap, plan, budget) => {
    const { alongside, slot, quotas, key } = await admit(plan, keyOn(plan, budget));
    expect(alongside).toEqual([true]);
    expect(slot?.requests).toBe(1);
    expect((await quotas.used(key)).requests).toBe(1);
  });
});
