import { Transform } from 'class-transformer';
import { IsEmail, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Optional } from '../common/optional.js';
import type { ErrorBody } from '../common/errors.js';
import type { UserResponse } from '../users/user.js';
import { Trimmed } from '../common/trimmed.js';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

/** Spaces count in a password (they are never trimmed), but spaces alone are no password. */
const NOT_ONLY_WHITESPACE = /\S/;

const normaliseEmail = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export class RegisterRequest {
  @Transform(normaliseEmail)
  @IsString()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH, {
    message: `password must be at least ${PASSWORD_MIN_LENGTH} characters`,
  })
  @MaxLength(PASSWORD_MAX_LENGTH)
  @Matches(NOT_ONLY_WHITESPACE, { message: 'password must not be only spaces' })
  password!: string;

  @Optional()
  @Trimmed()
  @IsString()
  @MinLength(1, { message: 'name must not be blank' })
  @MaxLength(100)
  name?: string;
}

export class LoginRequest {
  @Transform(normaliseEmail)
  @IsString()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password!: string;
}

export class UpdateProfileRequest {
  @Optional()
  @Trimmed()
  @IsString()
  @MinLength(1, { message: 'name must not be blank' })
  @MaxLength(100)
  name?: string;
}

export class ChangePasswordRequest {
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX_LENGTH)
  currentPassword!: string;

  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH, {
    message: `newPassword must be at least ${PASSWORD_MIN_LENGTH} characters`,
  })
  @MaxLength(PASSWORD_MAX_LENGTH)
  @Matches(NOT_ONLY_WHITESPACE, { message: 'newPassword must not be only spaces' })
  newPassword!: string;
}

export interface RegisterResponse {
  user: UserResponse;
}

/** The access token is short-lived; the refresh token travels only in an httpOnly cookie. */
export interface LoginResponse {
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  user: UserResponse;
}

export type RefreshResponse = LoginResponse;

/**
 * Whether a refused refresh ends the session: refused for the cookie itself (401: missing,
 * invalid, reused, its session ended) or for its account (disabled). The server clears the
 * cookie and the console signs out by this rule; anything else (an outage, a 429, a proxy's
 * 404 or 403) leaves both as they were.
 */
export function refreshEndsSession(error: Pick<ErrorBody, 'statusCode' | 'code'>): boolean {
  return error.statusCode === 401 || error.code === 'account_disabled';
}

export interface MeResponse {
  user: UserResponse;
}
