import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { InjectDataSource } from '@nestjs/typeorm';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AppException } from '../common/app.exception.js';
import type { AccessTokenPayload, AuthUser } from './auth-user.js';
import { accountDisabled } from './auth.service.js';

interface SessionRow {
  email: string;
  role: AuthUser['role'];
  disabled: boolean;
  revoked_at: Date | null;
  expires_at: Date;
}

/**
 * Checks the access JWT (HS256 only, so `alg: none` and algorithm swaps fail) and then that its
 * session is still open and its user still enabled: logout, reuse detection and disabling a user
 * take effect at once instead of when the token expires.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.auth.jwtSecret,
      algorithms: ['HS256'],
      issuer: 'keyward',
      ignoreExpiration: false,
    });
  }

  async validate(payload: AccessTokenPayload): Promise<AuthUser> {
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
      throw new AppException(401, 'invalid_token', 'Access token is malformed');
    }
    const rows: SessionRow[] = await this.dataSource.query(
      `SELECT u.email, u.role, u.disabled, s.revoked_at, s.expires_at
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2`,
      [payload.sid, payload.sub],
    );
    const row = rows[0];
    if (!row || row.revoked_at || new Date(row.expires_at) <= new Date()) {
      throw new AppException(401, 'session_revoked', 'This session has ended; sign in again');
    }
    if (row.disabled) throw accountDisabled();
    return { id: payload.sub, email: row.email, role: row.role, sessionId: payload.sid };
  }
}
