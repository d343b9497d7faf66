import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MICROS_PER_USD, type PlanResponse } from '@keyward/shared';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { AppException } from '../common/app.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import { PlansService } from '../plans/plans.service.js';
import { REDIS } from '../redis/redis.module.js';
import type { UsageTrackedRequest } from '../usage/usage-context.js';
import { billingPeriodOf, type BillingPeriod } from './billing-period.js';
import {
  QuotaCounters,
  type CountedIn,
  type CounterChange,
  type QuotaAlongside,
  type SeedClaim,
} from './quota-counters.js';
import { QuotaAlerts } from './quota-alerts.js';
import { errorMessage } from '../common/error-message.js';

const userRequestsCounter = (userId: string): string => `user:${userId}:requests`;
const userCostCounter = (userId: string): string => `user:${userId}:cost`;
const keyCostCounter = (keyId: string): string => `key:${keyId}:cost`;

/** One more request for the plan, with the cost totals read in the same step. */
const countOne = (key: VerifiedKey): CounterChange[] => [
  { key: userRequestsCounter(key.userId), amount: 1 },
  { key: userCostCounter(key.userId), amount: 0 },
  { key: keyCostCounter(key.keyId), amount: 0 },
];

const dollars = (micros: number): string => `$${(micros / MICROS_PER_USD).toFixed(2)}`;

/**
 * Enforces plan limits and key budgets on generation requests, from counters that never need a
 * database read per request: each counter is seeded once per month from the rollups, then kept
 * up to date as requests are admitted and their cost becomes known.
 */
@Injectable()
export class QuotaService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(QuotaService.name);
  private readonly counters: QuotaCounters;
  /** Counts and costs written in the background, not yet settled. */
  private readonly pending = new Set<Promise<unknown>>();
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
    this.counters.onStoreChange(() => {
      this.seeds.clear();
    });
  }

  /**
   * How a generation request is counted against its plan, decided at admission:
   * - under a monthly cap (the plan's requests or cost, the key's budget), the plan's request
   *   count goes up by one and the cost totals are read with it, in the rate limiter's own Redis
   *   call for the key's hit and only when that hit is admitted (see `slot`): the totals the
   *   checks need, in one round trip;
   * - with no cap to check, nothing needs to be read first: the key's hit can come from this
   *   replica's spare admissions, and the request is counted once admitted (`countUncapped`)
   *   without holding it for Redis's answer.
   */
  async planCount(key: VerifiedKey, now = new Date()): Promise<PlanCount> {
    const period = billingPeriodOf(now);
    const [plan] = await Promise.all([this.plans.get(key.planId), this.seed(key, period)]);
    const capped =
      plan.monthlyRequestLimit !== null ||
      plan.monthlyCostLimitMicros !== null ||
      key.monthlyBudgetMicros !== null;
    if (!capped) return { capped, plan, period };
    return {
      capped,
      plan,
      period,
      alongside: this.counters.alongside(period.month, countOne(key)),
    };
  }

  /** The slot a capped request took, from the totals the limiter returned for its `alongside`. */
  slot(
    key: VerifiedKey,
    count: PlanCount,
    totals: number[],
    countedIn: CountedIn = count.capped ? count.alongside.countedIn() : { inRedis: true },
  ): QuotaSlot {
    const [requests = 0, cost = 0, budgetUsed = 0] = totals;
    const { plan, period } = count;
    return {
      key,
      plan,
      period,
      requests,
      cost,
      budgetUsed,
      counted: Promise.resolve(countedIn),
      returned: false,
    };
  }

  /**
   * Counts an admitted request of an uncapped plan, in the background: the count is kept all the
   * same (usage, and a later move to a capped plan starts from it), and a give-back waits for
   * it to land. Its totals are not read, as no check needs them.
   */
  countUncapped(key: VerifiedKey, count: PlanCount): QuotaSlot {
    const { plan, period } = count;
    // Never rejects: a count Redis cannot take is kept in process instead.
    const counted = this.inBackground(
      this.counters
        .changeReporting(period.month, [{ key: userRequestsCounter(key.userId), amount: 1 }])
        .then(({ countedIn }) => countedIn),
    );
    return { key, plan, period, requests: 0, cost: 0, budgetUsed: 0, counted, returned: false };
  }

  /** Before Redis closes: the counts and costs still on their way land first. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /** Keeps `write` until it settles, so a shutdown can wait for it. */
  private inBackground<T>(write: Promise<T>): Promise<T> {
    this.pending.add(write);
    const settled = (): void => {
      this.pending.delete(write);
    };
    write.then(settled, settled);
    return write;
  }

  /**
   * Counts one generation request on its own (a second round trip), for a generation route
   * whose admission did not carry the count; every route today does, so this is the safety net
   * that keeps a new route from skipping the plan's limits.
   */
  async take(key: VerifiedKey, now = new Date()): Promise<QuotaSlot> {
    const count = await this.planCount(key, now);
    const { totals, countedIn } = await this.counters.changeReporting(
      count.period.month,
      countOne(key),
    );
    return this.slot(key, count, totals, countedIn);
  }

  /**
   * Admits a counted request or refuses it with 429 (giving its slot back). The request was
   * counted before this check, so concurrent requests cannot all slip under the limit together.
   */
  async admit(slot: QuotaSlot): Promise<void> {
    // Checked against the plan read at admission: the one the request was counted under.
    const { key, plan, period, requests, cost, budgetUsed } = slot;
    if (plan.monthlyCostLimitMicros !== null && cost >= plan.monthlyCostLimitMicros) {
      await this.giveBack(slot);
      throw this.refusal(
        'quota_exceeded',
        `Your ${plan.name} plan's monthly cost limit of ${dollars(plan.monthlyCostLimitMicros)} is used up`,
        plan.monthlyCostLimitMicros,
        cost,
        period,
      );
    }
    if (key.monthlyBudgetMicros !== null && budgetUsed >= key.monthlyBudgetMicros) {
      await this.giveBack(slot);
      throw this.refusal(
        'budget_exceeded',
        `This API key's monthly budget of ${dollars(key.monthlyBudgetMicros)} is used up`,
        key.monthlyBudgetMicros,
        budgetUsed,
        period,
      );
    }
    if (plan.monthlyRequestLimit !== null && requests > plan.monthlyRequestLimit) {
      await this.giveBack(slot);
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

  /**
   * Takes back a counted request that was refused or that no provider served; once only, and
   * from the store that counted it.
   */
  async giveBack(slot: QuotaSlot): Promise<void> {
    if (slot.returned) return;
    slot.returned = true;
    await this.counters.undo(
      slot.period.month,
      userRequestsCounter(slot.key.userId),
      1,
      await slot.counted,
    );
  }

  /**
   * Called as every response is sent: a request counted at admission that never became
   * billable (refused by a later guard, a bad body, a model the key may not use) gives its slot
   * back before the caller sees the answer. Undefined when there is nothing to do.
   */
  settle(request: QuotaTrackedRequest & UsageTrackedRequest): Promise<void> | undefined {
    const slot = request.keywardQuotaSlot;
    if (!slot || slot.returned || request.keywardUsage?.billable) return undefined;
    return this.giveBack(slot);
  }

  /**
   * Adds a served request's cost to the plan's and the key's monthly totals (in the background:
   * callers do not wait, and a shutdown waits for it). The month is the one the request was
   * admitted in (its slot's), where its request count and its usage event fall too: a request
   * that ends after midnight at a month's end still costs the month it began in.
   */
  addCost(key: VerifiedKey, micros: number, period: BillingPeriod): Promise<void> {
    if (micros <= 0) return Promise.resolve();
    return this.inBackground(this.writeCost(key, micros, period));
  }

  private async writeCost(key: VerifiedKey, micros: number, period: BillingPeriod): Promise<void> {
    try {
      const plan = await this.plans.get(key.planId);
      const [userTotal = micros, keyTotal = micros] = await this.counters.change(period.month, [
        { key: userCostCounter(key.userId), amount: micros },
        { key: keyCostCounter(key.keyId), amount: micros },
      ]);
      this.alerts.crossed(key, plan, 'cost', period, userTotal - micros, userTotal);
      this.alerts.crossed(key, plan, 'budget', period, keyTotal - micros, keyTotal);
    } catch (error) {
      this.logger.warn(`Could not count a request's cost: ${errorMessage(error)}`);
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
      [userRequestsCounter(key.userId), userCostCounter(key.userId), keyCostCounter(key.keyId)],
    );
    return { requests, costMicros, keyCostMicros };
  }

  private async seed(key: VerifiedKey, period: BillingPeriod): Promise<void> {
    await Promise.all([
      this.seedOnce(period, `user:${key.userId}`, async (claim) => {
        const [row] = await this.dataSource.query<{ requests: string; cost: string }[]>(
          `SELECT COALESCE(sum(billable_requests), 0) AS requests, COALESCE(sum(cost_micros), 0) AS cost
             FROM usage_daily WHERE user_id = $1 AND day >= $2`,
          [key.userId, period.start.toISOString().slice(0, 10)],
        );
        await this.counters.applySeed(claim, [
          { key: userRequestsCounter(key.userId), amount: Number(row?.requests ?? 0) },
          { key: userCostCounter(key.userId), amount: Number(row?.cost ?? 0) },
        ]);
      }),
      this.seedOnce(period, `key:${key.keyId}`, async (claim) => {
        const [row] = await this.dataSource.query<{ cost: string }[]>(
          `SELECT COALESCE(sum(cost_micros), 0) AS cost FROM usage_daily WHERE key_id = $1 AND day >= $2`,
          [key.keyId, period.start.toISOString().slice(0, 10)],
        );
        await this.counters.applySeed(claim, [
          { key: keyCostCounter(key.keyId), amount: Number(row?.cost ?? 0) },
        ]);
      }),
    ]);
  }

  /**
   * The database is read once per counter and month: by this process, and with Redis by each
   * replica that finds the seed missing there, the first to add it settling it for all (see
   * `QuotaCounters.claimSeed`). A failed seed is retried by the next request, and every seed is
   * claimed again when the counters move (see `QuotaCounters.onStoreChange`): Redis keeps its
   * seeds unless it lost its data with the counters.
   */
  private seedOnce(
    period: BillingPeriod,
    owner: string,
    load: (claim: SeedClaim) => Promise<void>,
  ): Promise<void> {
    const id = `${period.month}|${owner}`;
    let seeding = this.seeds.get(id);
    if (!seeding) {
      seeding = (async () => {
        const claim = await this.counters.claimSeed(period.month, owner);
        if (!claim) return;
        try {
          await load(claim);
        } catch (error) {
          this.counters.releaseSeed(claim);
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

/** A generation request's place in its plan's monthly count, taken before it is served. */
export interface QuotaSlot {
  key: VerifiedKey;
  /** The plan in force at admission, which the request is checked against. */
  plan: PlanResponse;
  period: BillingPeriod;
  /**
   * The totals once this request was counted: the plan's requests and cost, the key's cost
   * (0 for an uncapped plan's request, whose totals are not read).
   */
  requests: number;
  cost: number;
  budgetUsed: number;
  /** Where it was counted, once that is done, so it is given back there: Redis, or this process. */
  counted: Promise<CountedIn>;
  returned: boolean;
}

/** How admission counts a generation request against its plan; see `QuotaService.planCount`. */
export type PlanCount = { plan: PlanResponse; period: BillingPeriod } & (
  { capped: true; alongside: QuotaAlongside } | { capped: false }
);

/** Where the admission guard leaves the slot it took, for the handler and the response hook. */
export interface QuotaTrackedRequest {
  keywardQuotaSlot?: QuotaSlot;
}

export type QuotaSubject = 'requests' | 'cost' | 'budget';
export type { PlanResponse };
