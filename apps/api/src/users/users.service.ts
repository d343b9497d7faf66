import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Page, Role, UpdateUserRequest, UserResponse } from '@keyward/shared';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { AppException, notFound } from '../common/app.exception.js';
import { newId } from '../database/ids.js';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/principal.js';
import { KeyCache } from '../keys/key-cache.js';
import { PlansService } from '../plans/plans.service.js';
import { UpgradeRequestsService } from '../plans/upgrade-requests.service.js';
import { Session } from '../auth/session.entity.js';
import { hashPassword } from '../auth/password.js';
import { User } from './user.entity.js';
import { toUserResponse } from './user.mapper.js';

export interface NewUser {
  email: string;
  password: string;
  name?: string | null;
  role?: Role;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly keyCache: KeyCache,
    private readonly upgrades: UpgradeRequestsService,
    private readonly plans: PlansService,
  ) {}

  private get users() {
    return this.dataSource.getRepository(User);
  }

  async create(input: NewUser, manager: EntityManager = this.dataSource.manager): Promise<User> {
    const users = manager.getRepository(User);
    const existing = await users.exists({ where: { email: input.email } });
    if (existing) {
      throw new AppException(409, 'email_taken', 'An account with this email already exists');
    }
    const user = users.create({
      id: newId('usr'),
      email: input.email,
      name: input.name ?? null,
      passwordHash: await hashPassword(input.password),
      role: input.role ?? 'user',
      disabled: false,
      lastLoginAt: null,
    });
    try {
      return await users.save(user);
    } catch (error) {
      // Two registrations racing for one email: the unique index decides.
      if ((error as { code?: string }).code === '23505') {
        throw new AppException(409, 'email_taken', 'An account with this email already exists');
      }
      throw error;
    }
  }

  /** Includes the password hash, for sign-in only. */
  findForSignIn(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = :email', { email })
      .getOne();
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id } });
  }

  async get(id: string): Promise<UserResponse> {
    const user = await this.findById(id);
    if (!user) throw notFound('User');
    return toUserResponse(user);
  }

  countAdmins(): Promise<number> {
    return this.users.count({ where: { role: 'admin', disabled: false } });
  }

  async list(page = 1, pageSize = 50): Promise<Page<UserResponse>> {
    const [users, total] = await this.users.findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items: users.map(toUserResponse), page, pageSize, total };
  }

  /**
   * Role and disabled changes by an admin. Disabling ends every session of the user in the same
   * transaction; the last enabled admin can be neither demoted nor disabled.
   */
  async update(actor: Actor, id: string, changes: UpdateUserRequest): Promise<UserResponse> {
    const result = await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(User);
      // Admin rows first, in id order, then the target: concurrent admin changes lock in one order.
      const enabledAdmins = await this.lockEnabledAdmins(manager);
      const user = await repository.findOne({ where: { id }, lock: { mode: 'for_no_key_update' } });
      if (!user) throw notFound('User');
      const losesAdmin =
        user.role === 'admin' &&
        !user.disabled &&
        ((changes.role !== undefined && changes.role !== 'admin') || changes.disabled === true);
      if (losesAdmin && enabledAdmins <= 1) {
        throw new AppException(
          409,
          'last_admin',
          'The last enabled admin cannot be demoted or disabled',
        );
      }
      if (changes.role !== undefined) user.role = changes.role;
      if (changes.disabled !== undefined) user.disabled = changes.disabled;
      // Before anything that writes to the audit log, whose lock a sign-out takes after it has
      // locked its session: the other order would deadlock with a sign-out of this user.
      if (changes.disabled === true) {
        await manager
          .getRepository(Session)
          .update(
            { userId: id, revokedAt: IsNull() },
            { revokedAt: new Date(), revokedReason: 'user_disabled' },
          );
      }
      if (changes.planId !== undefined && changes.planId !== user.planId) {
        await this.plans.lockOpenPlan(manager, changes.planId, 'planId');
        user.planId = changes.planId;
        await this.upgrades.settleByPlanChange(manager, actor, id, changes.planId);
      }
      const saved = await repository.save(user);
      await this.audit.record(manager, {
        action: 'user.update',
        ownerUserId: id,
        actorUserId: actor.userId,
        actorKeyId: actor.keyId,
        ip: actor.ip,
        userAgent: actor.userAgent,
        targetType: 'user',
        targetId: id,
        details: {
          ...(changes.role ? { role: changes.role } : {}),
          ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
          ...(changes.planId ? { planId: changes.planId } : {}),
        },
      });
      return toUserResponse(saved);
    });
    // Keys act with their owner's role and only while the owner is enabled.
    await this.keyCache.invalidate(await this.keyIdsOf(id));
    return result;
  }

  private async keyIdsOf(userId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      'SELECT id FROM api_keys WHERE user_id = $1',
      [userId],
    );
    return rows.map((row) => row.id);
  }

  async recordLogin(id: string): Promise<void> {
    await this.users.update({ id }, { lastLoginAt: new Date() });
  }

  private async lockEnabledAdmins(manager: EntityManager): Promise<number> {
    // Locked so two concurrent demotions cannot both see "two admins left". NO KEY UPDATE, as
    // everywhere users are locked: a row written meanwhile that names an admin (an audit entry, a
    // request they decide) takes a key-share lock on them, which FOR UPDATE would block, and
    // which deadlocked an approval against a plan change.
    const rows: unknown[] = await manager.query(
      `SELECT id FROM users WHERE role = 'admin' AND disabled = false ORDER BY id FOR NO KEY UPDATE`,
    );
    return rows.length;
  }
}
