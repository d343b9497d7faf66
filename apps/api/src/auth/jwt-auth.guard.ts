import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { AppException } from '../common/app.exception.js';
import type { AuthUser } from './auth-user.js';

/** Console routes: a valid access JWT, mapped to precise error codes when it is not. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<TUser = AuthUser>(
    error: unknown,
    user: TUser | false,
    info: unknown,
  ): TUser {
    // Coded refusals from the strategy, and anything it could not finish (the database being
    // away answers 503): only a token found wanting becomes 401.
    if (error instanceof Error) throw error;
    if (user) return user;
    const name = info instanceof Error ? info.name : undefined;
    if (name === 'TokenExpiredError') {
      throw new AppException(401, 'token_expired', 'Access token has expired; refresh it');
    }
    if (name === 'JsonWebTokenError' || name === 'NotBeforeError') {
      throw new AppException(401, 'invalid_token', 'Access token is invalid');
    }
    throw new AppException(
      401,
      'unauthenticated',
      'Sign in first: send Authorization: Bearer <access token>',
    );
  }
}
