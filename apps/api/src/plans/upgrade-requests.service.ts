import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  STARTING_PLAN_ID,
  type CreateUpgradeRequest,
  type DecideUpgradeRequest,
  type UpgradeRequestResponse,
  type UpgradeStatus,
} from '@keyward/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { auditFieldsOf, type Actor } from '../auth/principal.js';
import { AppException, invalidField, notFound } from '../common/app.exception.js';
import { newId } from '../database/ids.js';
import { KeyCache } from '../keys/key-cache.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { PlansService } from './plans.service.js';

interface UpgradeRow {
  id: string;
  user_id: string;
  email: string;
  from_plan_id: string;
  to_plan_id: string;
  message: string | null;
  status: UpgradeStatus;
  decided_at: Date | null;
  created_at: Date;
}

const SELECT = `SELECT r.id, r.user_id, u.email, r.from_plan_id, r.to_plan_id, r.message, r.status,
                       r.decided_at, r.created_at
                  FROM plan_upgrade_requests r JOIN users u ON u.id = r.user_id`;

/**
 * A user asks for another plan from the console; an admin approves (which switches the plan) or
 * declines. No payment is taken here: this is the hand-off to whoever handles billing.
 */
@Injectable()
export class UpgradeRequestsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly plans: PlansService,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly keyCache: KeyCache,
  ) {}

  async create(actor: Actor, body: CreateUpgradeRequest): Promise<UpgradeRequestResponse> {
    const id = newId('upg');
    await this.dataSource.transaction(async (manager) => {
      // Locked, so two requests sent at once queue here and the second finds the first pending
      // (rather than meeting it in the unique index).
      const [user] = await manager.query<{ plan_id: string }[]>(
        'SELECT plan_id FROM users WHERE id = $1 FOR NO KEY UPDATE',
        [actor.userId],
      );
      if (user?.plan_id === body.planId) {
        throw invalidField('planId', `You are already on the ${body.planId} plan`);
      }
      await this.plans.lockOpenPlan(manager, body.planId, 'planId');
      const open = await manager.query<unknown[]>(
        `SELECT 1 FROM plan_upgrade_requests WHERE user_id = $1 AND status = 'pending'`,
        [actor.userId],
      );
      if (open.length > 0) {
        throw new AppException(
          409,
          'upgrade_pending',
          'You already have a plan request waiting for an admin',
        );
      }
      await manager.query(
        `INSERT INTO plan_upgrade_requests (id, user_id, from_plan_id, to_plan_id, message)
         VALUES ($1, $2, $3, $4, $5)`,
        [id, actor.userId, user?.plan_id ?? STARTING_PLAN_ID, body.planId, body.message || null],
      );
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'plan.upgrade_request',
        ownerUserId: actor.userId,
        targetType: 'upgrade_request',
        targetId: id,
        details: { to: body.planId },
      });
    });
    return this.findOne(this.dataSource.manager, id);
  }

  async listOwn(userId: string): Promise<UpgradeRequestResponse[]> {
    const rows = await this.dataSource.query<UpgradeRow[]>(
      `${SELECT} WHERE r.user_id = $1 ORDER BY r.created_at DESC LIMIT 50`,
      [userId],
    );
    return rows.map(toResponse);
  }

  async listAll(
    status: UpgradeRequestResponse['status'] | undefined,
  ): Promise<UpgradeRequestResponse[]> {
    const rows = await this.dataSource.query<UpgradeRow[]>(
      `${SELECT} WHERE ($1::text IS NULL OR r.status = $1) ORDER BY r.created_at DESC LIMIT 200`,
      [status ?? null],
    );
    return rows.map(toResponse);
  }

  async decide(
    actor: Actor,
    id: string,
    body: DecideUpgradeRequest,
  ): Promise<UpgradeRequestResponse> {
    const userId = await this.dataSource.transaction(async (manager) => {
      // The user's row, then the plan asked for, then the request's: the order create(), an
      // admin's plan change (UsersService.update) and a retirement (plan, then the requests it
      // declines) take them in, so an approval racing any of them waits instead of deadlocking.
      // A request never changes hands or plans, so its owner and plan can be read before any lock.
      const [owner] = await manager.query<{ user_id: string; to_plan_id: string }[]>(
        'SELECT user_id, to_plan_id FROM plan_upgrade_requests WHERE id = $1',
        [id],
      );
      if (!owner) throw notFound('Upgrade request');
      const [user] = await manager.query<{ plan_id: string }[]>(
        'SELECT plan_id FROM users WHERE id = $1 FOR NO KEY UPDATE',
        [owner.user_id],
      );
      // An approval racing a retirement of its plan waits for it, then finds the request declined.
      const plan =
        body.status === 'approved'
          ? await this.plans.holdAgainstRetirement(manager, owner.to_plan_id)
          : undefined;
      const [row] = await manager.query<
        { user_id: string; from_plan_id: string; to_plan_id: string; status: string }[]
      >(
        `SELECT user_id, from_plan_id, to_plan_id, status FROM plan_upgrade_requests
          WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!row) throw notFound('Upgrade request');
      if (row.status !== 'pending') {
        throw new AppException(409, 'upgrade_decided', `This request was already ${row.status}`);
      }
      // Pending requests are declined when their plan is retired; this is the last line.
      if (plan?.retired) {
        throw new AppException(409, 'upgrade_decided', `The ${row.to_plan_id} plan is retired`);
      }
      // An admin may have moved the user since they asked: approving would undo that move.
      if (body.status === 'approved' && user && user.plan_id !== row.from_plan_id) {
        throw new AppException(
          409,
          'plan_changed',
          `The user moved from ${row.from_plan_id} to ${user.plan_id} since asking; decline this request, or change their plan on the Users page`,
        );
      }
      await manager.query(
        `UPDATE plan_upgrade_requests SET status = $2, decided_by = $3, decided_at = now() WHERE id = $1`,
        [id, body.status, actor.userId],
      );
      if (body.status === 'approved') {
        await manager.query('UPDATE users SET plan_id = $2, updated_at = now() WHERE id = $1', [
          row.user_id,
          row.to_plan_id,
        ]);
      }
      await this.announce(
        manager,
        actor,
        { id, userId: row.user_id, toPlanId: row.to_plan_id },
        {
          status: body.status,
          body:
            body.status === 'approved'
              ? 'Its limits apply from now on.'
              : 'Your plan stays as it was.',
        },
      );
      return row.user_id;
    });
    // Keys carry their owner's plan in the verification cache.
    const keys = await this.dataSource.query<{ id: string }[]>(
      'SELECT id FROM api_keys WHERE user_id = $1',
      [userId],
    );
    await this.keyCache.invalidate(keys.map((key) => key.id));
    return this.findOne(this.dataSource.manager, id);
  }

  /**
   * An admin set the user's plan directly (the Users page), in that change's transaction: the
   * user's pending request is settled by it, approved if the plan set is the one asked for and
   * superseded otherwise, so no request waits on a question the admin has already answered.
   */
  async settleByPlanChange(
    manager: EntityManager,
    actor: Actor,
    userId: string,
    planId: string,
  ): Promise<void> {
    const settled = await manager.query<
      { id: string; to_plan_id: string; status: 'approved' | 'superseded' }[]
    >(
      // Through a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, count].
      `WITH settled AS (
         UPDATE plan_upgrade_requests
            SET status = CASE WHEN to_plan_id = $2 THEN 'approved' ELSE 'superseded' END,
                decided_by = $3, decided_at = now()
          WHERE user_id = $1 AND status = 'pending'
          RETURNING id, to_plan_id, status)
       SELECT * FROM settled`,
      [userId, planId, actor.userId],
    );
    for (const row of settled) {
      await this.announce(
        manager,
        actor,
        { id: row.id, userId, toPlanId: row.to_plan_id },
        {
          status: row.status,
          body:
            row.status === 'approved'
              ? 'Its limits apply from now on.'
              : `An admin moved you to the ${planId} plan instead; ask again if you still need the ${row.to_plan_id} plan.`,
        },
      );
    }
  }

  /**
   * A plan is being retired (PlansService.retire, in its transaction): the pending requests for it
   * are declined, and their users told why. Returns how many there were.
   */
  async declineForRetiredPlan(
    manager: EntityManager,
    actor: Actor,
    planId: string,
    planName: string,
  ): Promise<number> {
    const declined = await manager.query<{ id: string; user_id: string }[]>(
      `WITH declined AS (
         UPDATE plan_upgrade_requests SET status = 'declined', decided_by = $2, decided_at = now()
          WHERE to_plan_id = $1 AND status = 'pending'
          RETURNING id, user_id)
       SELECT * FROM declined`,
      [planId, actor.userId],
    );
    for (const row of declined) {
      await this.announce(
        manager,
        actor,
        { id: row.id, userId: row.user_id, toPlanId: planId },
        {
          status: 'declined',
          body: `The ${planName} plan has been retired; your plan stays as it was.`,
        },
      );
    }
    return declined.length;
  }

  /** The audit entry and the user's notification of a decided request. */
  private async announce(
    manager: EntityManager,
    actor: Actor,
    request: { id: string; userId: string; toPlanId: string },
    decided: { status: Exclude<UpgradeStatus, 'pending'>; body: string },
  ): Promise<void> {
    const { id, userId, toPlanId } = request;
    await this.audit.record(manager, {
      ...auditFieldsOf(actor),
      action: `plan.upgrade_${decided.status}`,
      ownerUserId: userId,
      targetType: 'upgrade_request',
      targetId: id,
      details: { to: toPlanId },
    });
    const titles: Record<typeof decided.status, string> = {
      approved: `You are now on the ${toPlanId} plan`,
      declined: `Your request for the ${toPlanId} plan was declined`,
      superseded: `Your request for the ${toPlanId} plan was closed`,
    };
    await this.notifications.record(manager, {
      userId,
      kind: 'plan_upgrade_decided',
      title: titles[decided.status],
      body: decided.body,
      data: { requestId: id, planId: toPlanId, status: decided.status },
    });
  }

  private async findOne(manager: EntityManager, id: string): Promise<UpgradeRequestResponse> {
    const [row] = await manager.query<UpgradeRow[]>(`${SELECT} WHERE r.id = $1`, [id]);
    if (!row) throw notFound('Upgrade request');
    return toResponse(row);
  }
}

function toResponse(row: UpgradeRow): UpgradeRequestResponse {
  return {
    id: row.id,
    userId: row.user_id,
    userEmail: row.email,
    fromPlanId: row.from_plan_id,
    toPlanId: row.to_plan_id,
    message: row.message,
    status: row.status,
    decidedAt: row.decided_at ? new Date(row.decided_at).toISOString() : null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
