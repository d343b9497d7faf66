import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PLAN_ID_PATTERN, type PlanResponse, type UpsertPlanRequest } from '@keyward/shared';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { auditFieldsOf, type Actor } from '../auth/principal.js';
import { AppException, notFound } from '../common/app.exception.js';

interface PlanRow {
  id: string;
  name: string;
  monthly_request_limit: string | null;
  monthly_cost_limit_micros: string | null;
  sort_order: number;
}

/** Plans change rarely (an admin edits one); replicas pick a change up within this time. */
const PLAN_CACHE_MS = 30_000;
/** While the database is away, the last catalogue read is kept and a new read tried this often. */
const PLAN_RETRY_MS = 5_000;

/** The plan catalogue, read from the database at most every half-minute per process. */
@Injectable()
export class PlansService {
  private cache: { plans: Map<string, PlanResponse>; loadedAt: number } | undefined;
  private loading: Promise<Map<string, PlanResponse>> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<PlanResponse[]> {
    return [...(await this.plans()).values()].sort((a, b) => a.sortOrder - b.sortOrder);
  }

  async get(id: string): Promise<PlanResponse> {
    const plan = (await this.plans()).get(id);
    if (!plan) throw notFound('Plan');
    return plan;
  }

  /** Creates or changes a plan (admins). */
  async upsert(actor: Actor, id: string, body: UpsertPlanRequest): Promise<PlanResponse> {
    if (!PLAN_ID_PATTERN.test(id)) {
      throw new AppException(
        400,
        'validation_failed',
        'Plan ids are 1-32 lowercase letters, digits or dashes',
      );
    }
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO plans (id, name, monthly_request_limit, monthly_cost_limit_micros, sort_order)
         VALUES ($1, $2, $3, $4, COALESCE($5, 0))
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,
           monthly_request_limit = EXCLUDED.monthly_request_limit,
           monthly_cost_limit_micros = EXCLUDED.monthly_cost_limit_micros,
           sort_order = COALESCE($5, plans.sort_order), updated_at = now()`,
        [
          id,
          body.name,
          body.monthlyRequestLimit,
          body.monthlyCostLimitMicros,
          body.sortOrder ?? null,
        ],
      );
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'plan.upsert',
        ownerUserId: actor.userId,
        targetType: 'plan',
        targetId: id,
        details: {
          name: body.name,
          monthlyRequestLimit: body.monthlyRequestLimit,
          monthlyCostLimitMicros: body.monthlyCostLimitMicros,
        },
      });
    });
    this.forget();
    return this.get(id);
  }

  /** After a local change; other replicas catch up when their cache expires. */
  forget(): void {
    this.cache = undefined;
  }

  private async plans(): Promise<Map<string, PlanResponse>> {
    if (this.cache && Date.now() - this.cache.loadedAt < PLAN_CACHE_MS) return this.cache.plans;
    this.loading ??= this.load()
      .catch((error: unknown) => {
        // Every guarded generation request reads its plan: a catalogue that expired during a
        // database outage must not stop requests whose key and credentials are still cached.
        const stale = this.cache;
        if (!stale) throw error;
        stale.loadedAt = Date.now() - PLAN_CACHE_MS + PLAN_RETRY_MS;
        return stale.plans;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  private async load(): Promise<Map<string, PlanResponse>> {
    const rows: PlanRow[] = await this.dataSource.query(
      'SELECT id, name, monthly_request_limit, monthly_cost_limit_micros, sort_order FROM plans',
    );
    const plans = new Map(rows.map((row) => [row.id, toPlanResponse(row)]));
    this.cache = { plans, loadedAt: Date.now() };
    return plans;
  }
}

export function toPlanResponse(row: PlanRow): PlanResponse {
  const limit = (value: string | null): number | null => (value === null ? null : Number(value));
  return {
    id: row.id,
    name: row.name,
    monthlyRequestLimit: limit(row.monthly_request_limit),
    monthlyCostLimitMicros: limit(row.monthly_cost_limit_micros),
    sortOrder: row.sort_order,
  };
}
