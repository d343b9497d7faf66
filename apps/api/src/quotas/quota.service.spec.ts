import { describe, expect, it } from '@jest/globals';
import type { PlanResponse } from '@keyward/shared';
import { inProcessQuotas, keyOn } from '../../test/support/quotas.js';

const PRO: PlanResponse = {
  id: 'pro',
  name: 'Pro',
  monthlyRequestLimit: 1_000,
  monthlyCostLimitMicros: 1_000_000,
  sortOrder: 1,
  retiredAt: null,
};

const KEY = keyOn(PRO, 500_000);

describe('QuotaService', () => {
  it('counts the cost of a request that ends in the next month in the month it was admitted in', async () => {
    const quotas = inProcessQuotas(PRO);
    const admittedAt = new Date('2026-11-30T23:59:59.900Z');
    const servedAt = new Date('2026-12-01T00:00:00.400Z');
    const admission = await quotas.planCount(KEY, admittedAt);

    await quotas.addCost(KEY, 7_000, admission.period);

    expect(await quotas.used(KEY, admittedAt)).toEqual({
      requests: 0,
      costMicros: 7_000,
      keyCostMicros: 7_000,
    });
    expect(await quotas.used(KEY, servedAt)).toEqual({
      requests: 0,
      costMicros: 0,
      keyCostMicros: 0,
    });
  });
});
