import type { PlanResponse } from '@keyward/shared';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../src/config/app-config.js';
import type { VerifiedKey } from '../../src/keys/verified-key.js';
import type { PlansService } from '../../src/plans/plans.service.js';
import type { QuotaAlerts } from '../../src/quotas/quota-alerts.js';
import { QuotaService } from '../../src/quotas/quota.service.js';

/** A verified key of `plan`, with its own monthly budget when given one. */
export const keyOn = (
  plan: PlanResponse,
  monthlyBudgetMicros: number | null = null,
): VerifiedKey => ({
  keyId: 'key_1',
  secretId: 'ksv_1',
  userId: 'usr_1',
  ownerRole: 'user',
  ownerDisabled: false,
  name: 'k',
  scopes: ['generate'],
  rateLimit: { limit: 100, windowSeconds: 60 },
  allowedModels: [],
  planId: plan.id,
  monthlyBudgetMicros,
  expiresAt: null,
  secretExpiresAt: null,
  revokedAt: null,
});

/** Quotas of `plan` counted in process (no Redis), over an empty usage history. */
export function inProcessQuotas(plan: PlanResponse): QuotaService {
  const dataSource = {
    query: () => Promise.resolve([{ requests: '0', cost: '0' }]),
  } as unknown as DataSource;
  const plans = { get: () => Promise.resolve(plan) } as unknown as PlansService;
  const alerts = { crossed: () => undefined } as unknown as QuotaAlerts;
  return new QuotaService({ redisKeyPrefix: 't:' } as AppConfig, null, dataSource, plans, alerts);
}
