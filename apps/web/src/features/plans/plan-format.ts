import type { PlanResponse } from '@keyward/shared';
import { formatCount } from '../../app/format';
import { formatMicros } from '../usage/usage-format';

/** "100,000 requests · $200.00 a month", with "Unlimited" for null limits. */
export function planLimitsText(plan: PlanResponse): string {
  const requests =
    plan.monthlyRequestLimit === null
      ? 'Unlimited requests'
      : `${formatCount(plan.monthlyRequestLimit)} requests`;
  const cost =
    plan.monthlyCostLimitMicros === null
      ? 'unlimited spend'
      : formatMicros(plan.monthlyCostLimitMicros);
  return `${requests} · ${cost} a month`;
}

export function planName(plans: readonly PlanResponse[] | undefined, id: string): string {
  return plans?.find((plan) => plan.id === id)?.name ?? id;
}
