import { describe, expect, it } from '@jest/globals';
import type { PlanResponse } from '@keyward/shared';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import type { PlansService } from '../plans/plans.service.js';
import type { QuotaAlerts } from './quota-alerts.js';
import { QuotaService } from './quota.service.js';

const PRO: PlanResponse = {
  id: 'pro',
  name: 'Pro',
  monthlyRequestLimit: 1_000,
  monthlyCostLimitMicros: 1_000_000,
  sortOrder: 1,
};

const KEY: VerifiedKey = {
  keyId: 'key_1',
  secretId: 'ksv_1',
  userId: 'usr_1',
  ownerRole: 'user',
  ownerDisabled: false,
  name: 'k',
  scopes: ['generate'],
  rateLimit: { limit: 100, windowSeconds: 60 },
  allowedModels: [],
  planId: PRO.id,
  monthlyBudgetMicros: 500_000,
  expiresAt: null,
  secretExpiresAt: null,
  revokedAt: null,
};

/** Counters in process, over an empty usage history. */
function quotaService(): QuotaService {
  const dataSource = {
    query: () => Promise.resolve([{ requests: '0', cost: '0' }]),
  } as unknown as DataSource;
  const plans = { get: () => Promise.resolve(PRO) } as unknown as PlansService;
  const alerts = { crossed: () => undefined } as unknown as QuotaAlerts;
  return new QuotaService({ redisKeyPrefix: 't:' } as AppConfig, null, dataSource, plans, alerts);
}

describe('QuotaService', () => {
  it('counts the cost of a request that ends in the next month in the month it was admitted in', async () => {
    const quotas = quotaService();
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
