import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MICROS_PER_USD, type PlanResponse } from '@keyward/shared';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { AppException } from '../common/app.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import { PlansService } from '../plans/plans.service.js';
import { REDIS } from '../redis/redis.module.js';
import { billingPeriodOf, type BillingPeriod } from './billing-period.js';
import { QuotaCounters } from './quota-counters.js';
import { QuotaAlerts } from './quota-alerts.js';

const userRequests = (userId: string): string => `user:${userId}:requests`;
const userCost = (userId: string): string => `user:${userId}:cost`;
const keyCost = (keyId: string): string => `key:${keyId}:cost`;

const dollars = (micros: number): string => `$${(micros / MICROS_PER_USD).toFixed(2)}`;

/**
 * Enforces plan limits and key budgets on generation requests, from counters that never need a
 * database read per request: each counter is seeded once per month from the rollups, then kept
 * up to date as requests are admitted and their cost becomes known.
 */
@Injectable()
export class QuotaService {
  private readonly logger = new Logger(QuotaService.name);
  private readonly counters: QuotaCounters;
  /** Seeds done (or under way) in this process, by `month|counter`. */
  private readonly seeds = new Map<string, Promise<void>>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) redis: Redis | null,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly plans: PlansService,
    private readonly alerts: QuotaAlerts,
  ) {
    this.counters = new QuotaCounters(redis, config.redisKeyPrefix);
  }

  /**
   * Admits one generation request or refuses it with 429. An admitted request is counted at
   * once, so concurrent requests cannot all slip under the limit together.
   */
  async admit(key: VerifiedKey, now = new Date()): Promise<void> {
    const period = billingPeriodOf(now);
    const plan = await this.plans.get(key.planId);
    await this.seed(key, period);
    // Counted at once, with the cost totals read in the same round trip; given back if refused.
    const [requests = 0, cost = 0, budgetUsed = 0] = await this.counters.change(period.month, [
      { key: userRequests(key.userId), amount: 1 },
      { key: userCost(key.userId), amount: 0 },
      { key: keyCost(key.keyId), amount: 0 },
    ]);
    const giveBack = () => this.counters.add(period.month, userRequests(key.userId), -1);
    if (plan.monthlyCostLimitMicros !== null && cost >= plan.monthlyCostLimitMicros) {
      await giveBack();
      throw this.refusal(
        'quota_exceeded',
        `Your ${plan.name} plan's monthly cost limit of ${dollars(plan.monthlyCostLimitMicros)} is used up`,
        plan.monthlyCostLimitMicros,
        cost,
        period,
      );
    }
    if (key.monthlyBudgetMicros !== null && budgetUsed >= key.monthlyBudgetMicros) {
      await giveBack();
      throw this.refusal(
        'budget_exceeded',
        `This API key's monthly budget of ${dollars(key.monthlyBudgetMicros)} is used up`,
        key.monthlyBudgetMicros,
        budgetUsed,
        period,
      );
    }
    if (plan.monthlyRequestLimit !== null && requests > plan.monthlyRequestLimit) {
      await giveBack();
      throw this.refusal(
        'quota_exceeded',
        `Your ${plan.name} plan's limit of ${plan.monthlyRequestLimit} requests a month is reached`,
        plan.monthlyRequestLimit,
        requests - 1,
        period,
      );
    }
    this.alerts.crossed(key, plan, 'requests', period, requests - 1, requests);
  }

  /** Takes back an admitted request that no provider served. */
  async refund(key: VerifiedKey, now = new Date()): Promise<void> {
    try {
      await this.counters.add(billingPeriodOf(now).month, userRequests(key.userId), -1);
    } catch (error) {
      this.logger.warn(`Could not take back a refused request: ${String(error)}`);
    }
  }

  /** Adds a served request's cost to the plan's and the key's monthly totals. */
  async addCost(key: VerifiedKey, micros: number, now = new Date()): Promise<void> {
    if (micros <= 0) return;
    const period = billingPeriodOf(now);
    try {
      const plan = await this.plans.get(key.planId);
      const [userTotal = micros, keyTotal = micros] = await this.counters.change(period.month, [
        { key: userCost(key.userId), amount: micros },
        { key: keyCost(key.keyId), amount: micros },
      ]);
      this.alerts.crossed(key, plan, 'cost', period, userTotal - micros, userTotal);
      this.alerts.crossed(key, plan, 'budget', period, keyTotal - micros, keyTotal);
    } catch (error) {
      this.logger.warn(`Could not count a request's cost: ${String(error)}`);
    }
  }

  /** This month's counters, as the checks see them. */
  async used(
    key: VerifiedKey,
    now = new Date(),
  ): Promise<{ requests: number; costMicros: number; keyCostMicros: number }> {
    const period = billingPeriodOf(now);
    await this.seed(key, period);
    const [requests = 0, costMicros = 0, keyCostMicros = 0] = await this.counters.read(
      period.month,
      [userRequests(key.userId), userCost(key.userId), keyCost(key.keyId)],
    );
    return { requests, costMicros, keyCostMicros };
  }

  private async seed(key: VerifiedKey, period: BillingPeriod): Promise<void> {
    await Promise.all([
      this.seedOnce(period, `user:${key.userId}`, async () => {
        const [row] = await this.dataSource.query<{ requests: string; cost: string }[]>(
          `SELECT COALESCE(sum(billable_requests), 0) AS requests, COALESCE(sum(cost_micros), 0) AS cost
             FROM usage_daily WHERE user_id = $1 AND day >= $2`,
          [key.userId, period.start.toISOString().slice(0, 10)],
        );
        await this.counters.add(period.month, userRequests(key.userId), Number(row?.requests ?? 0));
        await this.counters.add(period.month, userCost(key.userId), Number(row?.cost ?? 0));
      }),
      this.seedOnce(period, `key:${key.keyId}`, async () => {
        const [row] = await this.dataSource.query<{ cost: string }[]>(
          `SELECT COALESCE(sum(cost_micros), 0) AS cost FROM usage_daily WHERE key_id = $1 AND day >= $2`,
          [key.keyId, period.start.toISOString().slice(0, 10)],
        );
        await this.counters.add(period.month, keyCost(key.keyId), Number(row?.cost ?? 0));
      }),
    ]);
  }

  /**
   * The database is read once per counter and month: by this process, and with Redis only by
   * the replica that claims the seed. A failed seed is retried by the next request.
   */
  private seedOnce(period: BillingPeriod, owner: string, load: () => Promise<void>): Promise<void> {
    const id = `${period.month}|${owner}`;
    let seeding = this.seeds.get(id);
    if (!seeding) {
      seeding = (async () => {
        if (!(await this.counters.claimSeed(period.month, owner))) return;
        try {
          await load();
        } catch (error) {
          await this.counters.releaseSeed(period.month, owner);
          throw error;
        }
      })();
      seeding.catch(() => this.seeds.delete(id));
      this.seeds.set(id, seeding);
      if (this.seeds.size > 100_000) this.seeds.clear();
    }
    return seeding;
  }

  private refusal(
    code: 'quota_exceeded' | 'budget_exceeded',
    message: string,
    limit: number,
    used: number,
    period: BillingPeriod,
  ): AppException {
    const retryAfter = Math.max(1, Math.ceil((period.end.getTime() - Date.now()) / 1000));
    return new AppException(
      429,
      code,
      `${message}; it resets at ${period.end.toISOString()}`,
      undefined,
      { 'retry-after': String(retryAfter) },
      { limit, used, resetsAt: period.end.toISOString() },
    );
  }
}

export type QuotaSubject = 'requests' | 'cost' | 'budget';
export type { PlanResponse };
