import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type {
  ApiKeyUsageResponse,
  KeyUsageResponse,
  PlanUse,
  UsageBreakdownResponse,
  UsageDailyPoint,
  UsageDailyResponse,
  UsageSummaryResponse,
} from '@keyward/shared';
import type { DataSource } from 'typeorm';
import { notFound } from '../common/app.exception.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import { PlansService } from '../plans/plans.service.js';
import { billingPeriodOf, type BillingPeriod } from '../quotas/billing-period.js';
import { assertOwnKey } from './own-key.js';
import { limitUse, TOTALS_SQL, totalsOf, type TotalsRow } from './usage-math.js';
import { dayWindow, utcDay, type DayWindow } from './usage-period.js';

export const DEFAULT_DAYS = 30;

type Breakdown = 'route' | 'model';

/**
 * Analytics read the daily rollups only, never raw events, so their cost grows with days and
 * distinct routes and models, not with traffic. Every query is scoped to one user.
 */
@Injectable()
export class UsageAnalyticsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly plans: PlansService,
  ) {}

  async summary(
    userId: string,
    days = DEFAULT_DAYS,
    keyId?: string,
    now = new Date(),
  ): Promise<UsageSummaryResponse> {
    if (keyId !== undefined) await assertOwnKey(this.dataSource, userId, keyId);
    const window = dayWindow(days, now);
    const [row] = await this.dataSource.query<TotalsRow[]>(
      `SELECT ${TOTALS_SQL} FROM usage_daily
        WHERE user_id = $1 AND day BETWEEN $2::date AND $3::date
          ${keyId !== undefined ? 'AND key_id = $4' : ''}`,
      [userId, window.first, window.last, ...(keyId !== undefined ? [keyId] : [])],
    );
    return {
      days,
      keyId: keyId ?? null,
      totals: totalsOf(row),
      month: await this.monthOf(userId, now),
    };
  }

  async daily(
    userId: string,
    days = DEFAULT_DAYS,
    keyId: string | undefined,
    now = new Date(),
  ): Promise<UsageDailyResponse> {
    if (keyId !== undefined) await assertOwnKey(this.dataSource, userId, keyId);
    const window = dayWindow(days, now);
    return { days, keyId: keyId ?? null, points: await this.points(userId, window, keyId) };
  }

  /** Per route or per model; the model breakdown leaves out requests that reached no model. */
  async breakdown(
    userId: string,
    by: Breakdown,
    days = DEFAULT_DAYS,
    keyId?: string,
    now = new Date(),
  ): Promise<UsageBreakdownResponse> {
    if (keyId !== undefined) await assertOwnKey(this.dataSource, userId, keyId);
    const window = dayWindow(days, now);
    const column = by === 'route' ? 'route' : 'model';
    const rows = await this.dataSource.query<(TotalsRow & { name: string })[]>(
      `SELECT ${column} AS name, ${TOTALS_SQL}
         FROM usage_daily
        WHERE user_id = $1 AND day BETWEEN $2::date AND $3::date
          ${by === 'model' ? "AND model <> ''" : ''}
          ${keyId !== undefined ? 'AND key_id = $4' : ''}
        GROUP BY ${column}
        ORDER BY sum(requests) DESC, ${column} ASC`,
      [userId, window.first, window.last, ...(keyId !== undefined ? [keyId] : [])],
    );
    return {
      days,
      keyId: keyId ?? null,
      rows: rows.map((row) => ({ name: row.name, ...totalsOf(row) })),
    };
  }

  /** One of the caller's keys over the last days: totals and a point for every day. */
  async ofKey(
    userId: string,
    keyId: string,
    days = DEFAULT_DAYS,
    now = new Date(),
  ): Promise<ApiKeyUsageResponse> {
    await assertOwnKey(this.dataSource, userId, keyId);
    const window = dayWindow(days, now);
    const [points, [row]] = await Promise.all([
      this.points(userId, window, keyId),
      this.dataSource.query<TotalsRow[]>(
        `SELECT ${TOTALS_SQL} FROM usage_daily
          WHERE user_id = $1 AND key_id = $2 AND day BETWEEN $3::date AND $4::date`,
        [userId, keyId, window.first, window.last],
      ),
    ]);
    return { keyId, days, totals: totalsOf(row), points };
  }

  /**
   * The calling key's month so far. Key figures count every request it made; the plan counts
   * what the quota check counts (admitted generation requests) and all cost. Read from the
   * rollups, so a request shows up once its event is written (within USAGE_FLUSH_INTERVAL_MS).
   */
  async ofCallingKey(key: VerifiedKey, now = new Date()): Promise<KeyUsageResponse> {
    const period = billingPeriodOf(now);
    const [[row], plan] = await Promise.all([
      this.dataSource.query<TotalsRow[]>(
        `SELECT ${TOTALS_SQL} FROM usage_daily
          WHERE user_id = $1 AND key_id = $2 AND day >= $3::date AND day < $4::date`,
        [key.userId, key.keyId, utcDay(period.start), utcDay(period.end)],
      ),
      this.planUse(key.userId, key.planId, period),
    ]);
    const totals = totalsOf(row);
    return {
      keyId: key.keyId,
      period: { start: period.start.toISOString(), end: period.end.toISOString() },
      key: {
        requests: totals.requests,
        inputTokens: totals.inputTokens,
        outputTokens: totals.outputTokens,
        costMicros: totals.costMicros,
        budget: limitUse(totals.costMicros, key.monthlyBudgetMicros),
      },
      plan,
      rateLimit: { limit: key.rateLimit.limit, windowSeconds: key.rateLimit.windowSeconds },
    };
  }

  private async monthOf(userId: string, now: Date): Promise<PlanUse> {
    const users = await this.dataSource.query<{ plan_id: string }[]>(
      'SELECT plan_id FROM users WHERE id = $1',
      [userId],
    );
    const planId = users[0]?.plan_id;
    if (planId === undefined) throw notFound('User');
    return this.planUse(userId, planId, billingPeriodOf(now));
  }

  private async planUse(userId: string, planId: string, period: BillingPeriod): Promise<PlanUse> {
    const [plan, rows] = await Promise.all([
      this.plans.get(planId),
      this.dataSource.query<{ requests: string; cost_micros: string }[]>(
        `SELECT COALESCE(sum(billable_requests), 0) AS requests,
                COALESCE(sum(cost_micros), 0) AS cost_micros
           FROM usage_daily WHERE user_id = $1 AND day >= $2::date AND day < $3::date`,
        [userId, utcDay(period.start), utcDay(period.end)],
      ),
    ]);
    return {
      planId: plan.id,
      planName: plan.name,
      resetsAt: period.end.toISOString(),
      requests: limitUse(Number(rows[0]?.requests ?? 0), plan.monthlyRequestLimit),
      costMicros: limitUse(Number(rows[0]?.cost_micros ?? 0), plan.monthlyCostLimitMicros),
    };
  }

  /** A point for every day of the window, zero where nothing happened. */
  private async points(
    userId: string,
    window: DayWindow,
    keyId: string | undefined,
  ): Promise<UsageDailyPoint[]> {
    const parameters: string[] = [userId, window.first, window.last];
    if (keyId !== undefined) parameters.push(keyId);
    const rows = await this.dataSource.query<(TotalsRow & { day: string })[]>(
      `SELECT day::text AS day, ${TOTALS_SQL}
         FROM usage_daily
        WHERE user_id = $1 AND day BETWEEN $2::date AND $3::date
          ${keyId !== undefined ? 'AND key_id = $4' : ''}
        GROUP BY day`,
      parameters,
    );
    const byDay = new Map(rows.map((row) => [row.day, row]));
    return window.days.map((day) => ({ day, ...totalsOf(byDay.get(day)) }));
  }
}
