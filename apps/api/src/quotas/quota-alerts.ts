import { Injectable, Logger } from '@nestjs/common';
import { MICROS_PER_USD, type PlanResponse } from '@keyward/shared';
import { AlertsService } from '../alerts/alerts.service.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import type { BillingPeriod } from './billing-period.js';
import { thresholdsCrossed } from './thresholds.js';
import { errorMessage } from '../common/error-message.js';

type Counter = 'requests' | 'cost' | 'budget';

/**
 * Tells an owner when a counter passes 50, 80 and 100% of its limit. The counter step that
 * crosses a threshold is seen by one request only; the alert mark makes it once per month even
 * if two replicas or a re-seeded counter see it again.
 */
@Injectable()
export class QuotaAlerts {
  private readonly logger = new Logger(QuotaAlerts.name);

  constructor(private readonly alerts: AlertsService) {}

  crossed(
    key: VerifiedKey,
    plan: PlanResponse,
    counter: Counter,
    period: BillingPeriod,
    before: number,
    after: number,
  ): void {
    const limit =
      counter === 'requests'
        ? plan.monthlyRequestLimit
        : counter === 'cost'
          ? plan.monthlyCostLimitMicros
          : key.monthlyBudgetMicros;
    for (const threshold of thresholdsCrossed(before, after, limit)) {
      void this.fire(key, plan, counter, period, threshold, limit ?? 0).catch((error: unknown) => {
        this.logger.warn(`Could not record a ${counter} alert: ${errorMessage(error)}`);
      });
    }
  }

  private async fire(
    key: VerifiedKey,
    plan: PlanResponse,
    counter: Counter,
    period: BillingPeriod,
    threshold: number,
    limit: number,
  ): Promise<void> {
    const money = (micros: number): string => `$${(micros / MICROS_PER_USD).toFixed(2)}`;
    const what =
      counter === 'requests'
        ? `${threshold}% of your ${plan.name} plan's ${limit} monthly requests`
        : counter === 'cost'
          ? `${threshold}% of your ${plan.name} plan's ${money(limit)} monthly cost limit`
          : `${threshold}% of the ${money(limit)} monthly budget of API key "${key.name}"`;
    const reached = threshold >= 100;
    await this.alerts.fireOnce(
      {
        userId: key.userId,
        subject: counter === 'budget' ? `key.budget:${key.keyId}` : `plan.${counter}`,
        period: period.month,
        threshold,
      },
      {
        kind: counter === 'budget' ? 'budget_threshold' : 'quota_threshold',
        title: reached ? `Used up: ${what}` : `You have used ${what}`,
        body: reached
          ? `Requests are refused with 429 until ${period.end.toISOString().slice(0, 10)}.`
          : `The limit resets on ${period.end.toISOString().slice(0, 10)}.`,
        data: {
          counter,
          threshold,
          limit,
          month: period.month,
          ...(counter === 'budget' ? { keyId: key.keyId } : { planId: plan.id }),
        },
      },
    );
  }
}
