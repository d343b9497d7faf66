import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  DAY_MS,
  type LoginRequest,
  type LoginResponse,
  type RegisterRequest,
  type UserResponse,
  type ChangePasswordRequest,
  type UpdateProfileRequest,
} from '@keyward/shared';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AppException } from '../common/app.exception.js';
import { newId } from '../database/ids.js';
import { UsersService } from '../users/users.service.js';
import { toUserResponse } from '../users/user.mapper.js';
import { User } from '../users/user.entity.js';
import type { AccessTokenPayload, AuthUser } from './auth-user.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.js';
import { RefreshToken } from './refresh-token.entity.js';
import { generateRefreshToken, hashToken } from './refresh-tokens.js';
import { Session } from './session.entity.js';

type RefreshOutcome =
  | { kind: 'rotated'; session: Session; user: User }
  | { kind: 'reused' | 'revoked' | 'invalid' | 'disabled' };

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

/** A successful sign-in or refresh: the body to return and the cookie to set. */
export interface IssuedTokens {
  response: LoginResponse;
  refreshToken: string;
  refreshExpiresAt: Date;
}

@Injectable()
export class AuthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly jwt: JwtService,
    private readonly audit: AuditService,
  ) {}

  async register(body: RegisterRequest, client: ClientInfo): Promise<UserResponse> {
    if (!this.config.auth.registrationEnabled) {
      throw new AppException(
        403,
        'registration_disabled',
        'Registration is disabled on this deployment',
      );
    }
    const user = await this.dataSource.transaction(async (manager) => {
      const created = await this.users.create(
        { email: body.email, password: body.password, name: body.name },
        manager,
      );
      await this.audit.record(manager, {
        action: 'auth.register',
        ownerUserId: created.id,
        actorUserId: created.id,
        ...client,
        targetType: 'user',
        targetId: created.id,
      });
      return created;
    });
    return toUserResponse(user);
  }

  async login(body: LoginRequest, client: ClientInfo): Promise<IssuedTokens> {
    const user = await this.users.findForSignIn(body.email);
    if (!user) {
      await burnPasswordCheck(body.password);
      await this.audit.recordAlone({
        action: 'auth.login_failed',
        ownerUserId: null,
        ...client,
        details: { email: body.email },
      });
      throw invalidCredentials();
    }
    const refuseWrongPassword = async (): Promise<never> => {
      await this.audit.recordAlone({
        action: 'auth.login_failed',
        ownerUserId: user.id,
        ...client,
        targetType: 'user',
        targetId: user.id,
      });
      throw invalidCredentials();
    };
    if (!(await verifyPassword(user.passwordHash, body.password))) await refuseWrongPassword();
    if (user.disabled) throw accountDisabled();

    const refreshToken = generateRefreshToken();
    const refreshExpiresAt = this.refreshExpiry();
    const session = await this.dataSource.transaction(async (manager) => {
      // The password was checked against the hash read before; a password change or a disable
      // committed during that check ended every session, and must not miss this one. Held until
      // the session is written, so a change arriving now waits and then ends it too.
      const [current] = await manager.query<{ password_hash: string; disabled: boolean }[]>(
        'SELECT password_hash, disabled FROM users WHERE id = $1 FOR SHARE',
        [user.id],
      );
      // The password sent is no longer the account's: a failed sign-in like any other.
      if (!current || current.password_hash !== user.passwordHash) return null;
      if (current.disabled) throw accountDisabled();
      const created = await manager.getRepository(Session).save({
        id: newId('ses'),
        userId: user.id,
        expiresAt: refreshExpiresAt,
        revokedAt: null,
        revokedReason: null,
        ip: client.ip,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
        lastRefreshedAt: null,
      });
      await manager.getRepository(RefreshToken).insert({
        id: newId('rt'),
        sessionId: created.id,
        tokenHash: hashToken(refreshToken),
        expiresAt: refreshExpiresAt,
        usedAt: null,
      });
      await this.audit.record(manager, {
        action: 'auth.login',
        ownerUserId: user.id,
        actorUserId: user.id,
        ...client,
        targetType: 'session',
        targetId: created.id,
      });
      return created;
    });
    if (!session) return refuseWrongPassword();
    await this.users.recordLogin(user.id);
    user.lastLoginAt = new Date();
    return { response: await this.accessFor(user, session.id), refreshToken, refreshExpiresAt };
  }

  /**
   * Exchanges a refresh token for a new pair. Each refresh token is single-use: presenting one
   * that was already exchanged means it leaked, so the whole session is revoked. The one
   * exception is a short grace period right after the exchange (REFRESH_REUSE_GRACE_SECONDS),
   * because a browser that reloads while a refresh is in flight never stores the new cookie and
   * sends the old one again; that must not sign a legitimate user out.
   */
  async refresh(presented: string | undefined): Promise<IssuedTokens> {
    if (!presented) {
      throw new AppException(401, 'refresh_token_missing', 'No refresh token; sign in again');
    }
    const refreshToken = generateRefreshToken();
    const outcome = await this.dataSource.transaction((manager): Promise<RefreshOutcome> =>
      this.rotate(manager, presented, refreshToken),
    );
    switch (outcome.kind) {
      case 'reused':
        throw new AppException(
          401,
          'refresh_token_reused',
          'Refresh token was already used; the session has been ended',
        );
      case 'revoked':
        throw new AppException(401, 'session_revoked', 'This session has ended; sign in again');
      case 'invalid':
        throw new AppException(
          401,
          'refresh_token_invalid',
          'Refresh token is invalid or expired; sign in again',
        );
      case 'disabled':
        throw accountDisabled();
      case 'rotated':
        break;
    }
    return {
      response: await this.accessFor(outcome.user, outcome.session.id),
      refreshToken,
      refreshExpiresAt: outcome.session.expiresAt,
    };
  }

  private async rotate(
    manager: EntityManager,
    presented: string,
    replacement: string,
  ): Promise<RefreshOutcome> {
    const tokens = manager.getRepository(RefreshToken);
    const sessions = manager.getRepository(Session);
    const hash = hashToken(presented);
    const found = await tokens.findOne({ where: { tokenHash: hash } });
    if (!found) return { kind: 'invalid' };
    // The session's row first, then the token's: every rotation of a session queues here, so two
    // tokens of one session (one still in its grace period) cannot both mint a live token, and
    // the order never crosses with the spending of the session's other tokens below.
    const session = await sessions.findOne({
      where: { id: found.sessionId },
      lock: { mode: 'pessimistic_write' },
    });
    const current = await tokens.findOne({
      where: { tokenHash: hash },
      lock: { mode: 'pessimistic_write' },
    });
    if (!current) return { kind: 'invalid' };
    const now = new Date();
    if (!session || session.revokedAt || session.expiresAt <= now) return { kind: 'revoked' };
    if (current.usedAt) {
      const graceMs = this.config.auth.refreshReuseGraceSeconds * 1000;
      if (now.getTime() - current.usedAt.getTime() > graceMs) {
        await sessions.update(
          { id: session.id },
          { revokedAt: now, revokedReason: 'refresh_reuse' },
        );
        await this.audit.record(manager, {
          action: 'auth.refresh_reuse',
          ownerUserId: session.userId,
          targetType: 'session',
          targetId: session.id,
          details: { outcome: 'session_revoked' },
        });
        return { kind: 'reused' };
      }
    }
    if (current.expiresAt <= now) return { kind: 'invalid' };
    // Read in the same transaction, so nothing after the rotation commits can fail and leave the
    // browser holding a spent token (its next refresh would look like theft).
    const user = await manager.getRepository(User).findOne({ where: { id: session.userId } });
    if (!user || user.disabled) return { kind: 'disabled' };
    // One live token per session: whatever was issued before is spent now, so a stolen token
    // replayed within the grace period cannot fork the session into two undetected branches.
    await manager.query(
      'UPDATE refresh_tokens SET used_at = $2 WHERE session_id = $1 AND used_at IS NULL',
      [session.id, now],
    );
    await tokens.insert({
      id: newId('rt'),
      sessionId: session.id,
      tokenHash: hashToken(replacement),
      expiresAt: session.expiresAt,
      usedAt: null,
    });
    await sessions.update({ id: session.id }, { lastRefreshedAt: now });
    return { kind: 'rotated', session, user };
  }

  async updateProfile(
    user: AuthUser,
    client: ClientInfo,
    body: UpdateProfileRequest,
  ): Promise<UserResponse> {
    await this.dataSource.transaction(async (manager) => {
      if (body.name !== undefined) {
        await manager.getRepository(User).update({ id: user.id }, { name: body.name.trim() });
      }
      await this.audit.record(manager, {
        action: 'auth.profile_update',
        ownerUserId: user.id,
        actorUserId: user.id,
        ...client,
        targetType: 'user',
        targetId: user.id,
        details: { changed: Object.keys(body) },
      });
    });
    return this.users.get(user.id);
  }

  /**
   * Needs the current password. Every other session of the user ends, so a password changed
   * because of a suspected compromise also signs the intruder out.
   */
  async changePassword(
    user: AuthUser,
    client: ClientInfo,
    body: ChangePasswordRequest,
  ): Promise<void> {
    const account = await this.users.findForSignIn(user.email);
    if (!account || !(await verifyPassword(account.passwordHash, body.currentPassword))) {
      throw new AppException(403, 'invalid_credentials', 'The current password is incorrect');
    }
    if (body.currentPassword === body.newPassword) {
      throw new AppException(
        400,
        'weak_password',
        'The new password must differ from the current one',
      );
    }
    const passwordHash = await hashPassword(body.newPassword);
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(User).update({ id: user.id }, { passwordHash });
      await manager.query(
        `UPDATE sessions SET revoked_at = now(), revoked_reason = 'password_change'
            WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL`,
        [user.id, user.sessionId],
      );
      await this.audit.record(manager, {
        action: 'auth.password_change',
        ownerUserId: user.id,
        actorUserId: user.id,
        ...client,
        targetType: 'user',
        targetId: user.id,
      });
    });
  }

  /** Ends the session the refresh token belongs to; unknown tokens are ignored. */
  async logout(presented: string | undefined, client: ClientInfo): Promise<void> {
    if (!presented) return;
    const token = await this.dataSource
      .getRepository(RefreshToken)
      .createQueryBuilder('token')
      .where('token.tokenHash = :hash', { hash: hashToken(presented) })
      .getOne();
    if (!token) return;
    await this.dataSource.transaction(async (manager) => {
      const session = await manager
        .getRepository(Session)
        .findOne({ where: { id: token.sessionId } });
      if (!session || session.revokedAt) return;
      // Only a session still open: one ended meanwhile (by another sign-out, a disabled account
      // or a detected token reuse) keeps the reason it ended for, and is not logged twice.
      const ended = await manager
        .getRepository(Session)
        .update(
          { id: session.id, revokedAt: IsNull() },
          { revokedAt: new Date(), revokedReason: 'logout' },
        );
      if (ended.affected === 0) return;
      await this.audit.record(manager, {
        action: 'auth.logout',
        ownerUserId: session.userId,
        actorUserId: session.userId,
        ...client,
        targetType: 'session',
        targetId: session.id,
      });
    });
  }

  private async accessFor(user: User, sessionId: string): Promise<LoginResponse> {
    const payload: AccessTokenPayload = { sub: user.id, role: user.role, sid: sessionId };
    const accessToken = await this.jwt.signAsync(payload, {
      expiresIn: this.config.auth.accessTokenTtlSeconds,
      algorithm: 'HS256',
    });
    return {
      accessToken,
      expiresIn: this.config.auth.accessTokenTtlSeconds,
      user: toUserResponse(user),
    };
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.auth.refreshTokenTtlDays * DAY_MS);
  }
}

function invalidCredentials(): AppException {
  return new AppException(401, 'invalid_credentials', 'Email or password is incorrect');
}

export function accountDisabled(): AppException {
  return new AppException(403, 'account_disabled', 'This account is disabled');
}
