import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  PLAN_ID_PATTERN,
  STARTING_PLAN_ID,
  type PlanResponse,
  type UpsertPlanRequest,
} from '@keyward/shared';
import type { Redis } from 'ioredis';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { auditFieldsOf, type Actor } from '../auth/principal.js';
import { AppException, invalidField, notFound } from '../common/app.exception.js';
import { SingleFlight } from '../common/single-flight.js';
import { STAND_IN_RETRY_MS } from '../common/stale-while-unavailable.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { InvalidationChannel } from '../redis/invalidation-channel.js';
import { REDIS } from '../redis/redis.module.js';

interface PlanRow {
  id: string;
  name: string;
  monthly_request_limit: string | null;
  monthly_cost_limit_micros: string | null;
  sort_order: number;
  retired_at: Date | null;
}

/** The columns of a PlanRow, for every statement that reads one. */
const PLAN_COLUMNS =
  'id, name, monthly_request_limit, monthly_cost_limit_micros, sort_order, retired_at';

/**
 * Plans change rarely (an admin edits one). An edit reaches every replica at once through
 * Redis; this bounds how long one whose message was never sent keeps the old catalogue.
 */
const PLAN_CACHE_MS = 30_000;
/** A plan id not in the catalogue has it read again first, if no read was tried this recently. */
const UNKNOWN_PLAN_REREAD_MS = 1_000;
/** The one key of the catalogue's reads. */
const CATALOGUE = 'catalogue';

/**
 * The plan catalogue, read from the database at most every half-minute per process, and again
 * in every replica as soon as an admin changes a plan.
 */
@Injectable()
export class PlansService implements OnModuleInit, OnApplicationShutdown {
  private cache:
    | {
        plans: Map<string, PlanResponse>;
        loadedAt: number;
        /** Until when the catalogue stands in for a read that failed (the database away). */
        heldUntil: number;
      }
    | undefined;
  /** The catalogue's read under way, shared by every caller of its generation. */
  private readonly reads = new SingleFlight<typeof CATALOGUE, Map<string, PlanResponse>>();
  /** Bumped by every change heard of; a read that began before one is neither kept nor joined. */
  private generation = 0;
  /** When the catalogue was last read, or a read tried. */
  private lastReadAt = -Infinity;
  private readonly invalidations: InvalidationChannel;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) redis: Redis | null,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {
    this.invalidations = new InvalidationChannel(
      redis,
      `${config.redisKeyPrefix}plan-invalidations`,
      () => {
        this.forget();
      },
    );
  }

  onModuleInit(): void {
    this.invalidations.start();
  }

  onApplicationShutdown(): void {
    this.invalidations.stop();
  }

  /** The plans users can be on and ask for. */
  async list(): Promise<PlanResponse[]> {
    return (await this.listAll()).filter((plan) => plan.retiredAt === null);
  }

  /** Every plan, for admins: open ones first, then retired ones. */
  async listAll(): Promise<PlanResponse[]> {
    return [...(await this.plans()).values()].sort(
      (a, b) =>
        Number(a.retiredAt !== null) - Number(b.retiredAt !== null) || a.sortOrder - b.sortOrder,
    );
  }

  async get(id: string): Promise<PlanResponse> {
    let plan = (await this.plans()).get(id);
    // A plan created since the last read, whose news did not arrive (Redis away): users moved
    // to it must not be told their plan does not exist. At most one read a second, whatever the
    // ids asked for; the catalogue in hand stays in use meanwhile (and if the read fails).
    if (!plan && Date.now() - this.lastReadAt >= UNKNOWN_PLAN_REREAD_MS) {
      plan = (await this.read()).get(id);
    }
    if (!plan) throw notFound('Plan');
    return plan;
  }

  /**
   * In `manager`'s transaction: locks the plan's row for key share until the transaction ends, so
   * a retirement (which takes it FOR UPDATE) waits for this one, or this one for it. Returns the
   * plan as it then is, or undefined when there is no such plan.
   */
  async holdAgainstRetirement(
    manager: EntityManager,
    id: string,
  ): Promise<{ retired: boolean } | undefined> {
    const [plan] = await manager.query<{ retired_at: Date | null }[]>(
      'SELECT retired_at FROM plans WHERE id = $1 FOR KEY SHARE',
      [id],
    );
    return plan && { retired: plan.retired_at !== null };
  }

  /**
   * In `manager`'s transaction: refuses a plan that does not exist or is retired, as the value of
   * `field`, and holds it against a retirement (see `holdAgainstRetirement`), so a user cannot be
   * moved to (or ask for) a plan that is being retired at the same moment.
   */
  async lockOpenPlan(manager: EntityManager, id: string, field: string): Promise<void> {
    const plan = await this.holdAgainstRetirement(manager, id);
    if (!plan) throw invalidField(field, `There is no plan "${id}"`);
    if (plan.retired) throw invalidField(field, `The ${id} plan is retired`);
  }

  /**
   * In `manager`'s transaction, the first step of a retirement (PlanRetirementService): locks the
   * plan's row and refuses it while anyone is on it, or when new accounts start on it. Returns its
   * name.
   */
  async lockForRetirement(manager: EntityManager, id: string): Promise<string> {
    if (id === STARTING_PLAN_ID) {
      // Refused before any lock: sign-ups check their plan's row too, and need not wait on this.
      const [plan] = await manager.query<{ name: string }[]>(
        'SELECT name FROM plans WHERE id = $1',
        [id],
      );
      throw new AppException(
        409,
        'plan_in_use',
        `New accounts start on the ${plan?.name ?? id} plan: it cannot be retired`,
      );
    }
    // FOR UPDATE, not FOR NO KEY UPDATE: only this conflicts with the key-share lock a move to the
    // plan holds (holdAgainstRetirement, and the foreign key check on users.plan_id). A move under
    // way is waited for and counted below; one after it waits for this, then finds the plan retired.
    const [plan] = await manager.query<{ name: string; retired_at: Date | null }[]>(
      'SELECT name, retired_at FROM plans WHERE id = $1 FOR UPDATE',
      [id],
    );
    if (!plan || plan.retired_at) throw notFound('Plan');
    const [{ count } = { count: 0 }] = await manager.query<{ count: number }[]>(
      'SELECT count(*)::int AS count FROM users WHERE plan_id = $1',
      [id],
    );
    if (count > 0) {
      throw new AppException(
        409,
        'plan_in_use',
        `${count} ${count === 1 ? 'user is' : 'users are'} on the ${plan.name} plan: move them to another plan first`,
        undefined,
        {},
        { users: count },
      );
    }
    return plan.name;
  }

  /** In `manager`'s transaction, once `lockForRetirement` has passed: the plan as retired. */
  async markRetired(manager: EntityManager, id: string): Promise<PlanResponse> {
    const [row] = await manager.query<PlanRow[]>(
      // Through a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, count].
      `WITH retired AS (
         UPDATE plans SET retired_at = now(), updated_at = now() WHERE id = $1
         RETURNING ${PLAN_COLUMNS})
       SELECT * FROM retired`,
      [id],
    );
    if (!row) throw notFound('Plan');
    return toPlanResponse(row);
  }

  /** Creates or changes a plan (admins); a retired plan saved again is open again. */
  async upsert(actor: Actor, id: string, body: UpsertPlanRequest): Promise<PlanResponse> {
    if (!PLAN_ID_PATTERN.test(id)) {
      throw invalidField('id', 'Plan ids are 1-32 lowercase letters, digits or dashes');
    }
    await this.dataSource.transaction(async (manager) => {
      const [before] = await manager.query<{ retired_at: Date | null }[]>(
        'SELECT retired_at FROM plans WHERE id = $1 FOR UPDATE',
        [id],
      );
      await manager.query(
        `INSERT INTO plans (id, name, monthly_request_limit, monthly_cost_limit_micros, sort_order)
         VALUES ($1, $2, $3, $4, COALESCE($5, 0))
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,
           monthly_request_limit = EXCLUDED.monthly_request_limit,
           monthly_cost_limit_micros = EXCLUDED.monthly_cost_limit_micros,
           sort_order = COALESCE($5, plans.sort_order), retired_at = NULL, updated_at = now()`,
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
          ...(before?.retired_at ? { reopened: true } : {}),
        },
      });
    });
    await this.changed(id);
    return this.get(id);
  }

  /** Every replica reads the catalogue again. */
  async changed(id: string): Promise<void> {
    this.forget();
    await this.invalidations.publish([id]);
  }

  /** After a change: the next request reads the catalogue again. */
  private forget(): void {
    this.generation += 1;
    // Kept, but expired: it still stands in should the database be away for that read.
    if (this.cache) {
      this.cache.loadedAt = -Infinity;
      this.cache.heldUntil = -Infinity;
    }
  }

  private async plans(): Promise<Map<string, PlanResponse>> {
    const cache = this.cache;
    if (!cache) return this.read();
    const now = Date.now();
    const current =
      now - cache.loadedAt < PLAN_CACHE_MS && this.invalidations.hasCoveredSince(cache.loadedAt);
    return current || now < cache.heldUntil ? cache.plans : this.read();
  }

  /** Reads the catalogue (or joins the read under way); the last one stands in if it fails. */
  private read(): Promise<Map<string, PlanResponse>> {
    return this.reads.run(CATALOGUE, this.generation, () => {
      this.lastReadAt = Date.now();
      return this.load().catch((error: unknown) => {
        // Every guarded generation request reads its plan: a catalogue that expired during a
        // database outage must not stop requests whose key and credentials are still cached.
        const stale = this.cache;
        if (!stale) throw error;
        // Kept, and a new read tried now and then, as for every other stand-in.
        stale.heldUntil = Date.now() + STAND_IN_RETRY_MS;
        return stale.plans;
      });
    });
  }

  private async load(): Promise<Map<string, PlanResponse>> {
    const generation = this.generation;
    const startedAt = Date.now();
    const rows: PlanRow[] = await this.dataSource.query(`SELECT ${PLAN_COLUMNS} FROM plans`);
    const plans = new Map(rows.map((row) => [row.id, toPlanResponse(row)]));
    if (generation === this.generation) {
      this.cache = { plans, loadedAt: startedAt, heldUntil: -Infinity };
    }
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
    retiredAt: row.retired_at ? new Date(row.retired_at).toISOString() : null,
  };
}
