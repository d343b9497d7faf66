import { Body, Controller, Get, HttpCode, Patch, Post, Req, Res, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  ChangePasswordRequest,
  LoginRequest,
  RegisterRequest,
  UpdateProfileRequest,
  refreshEndsSession,
  type LoginResponse,
  type MeResponse,
  type RefreshResponse,
  type RegisterResponse,
} from '@keyward/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppException } from '../common/app.exception.js';
import { UsersService } from '../users/users.service.js';
import type { AuthUser } from './auth-user.js';
import { AuthService, type ClientInfo, type IssuedTokens } from './auth.service.js';
import { CurrentUser } from './current-user.decorator.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { LOGIN_BY_ACCOUNT, LoginThrottlerGuard } from './login-throttler.guard.js';

export const REFRESH_COOKIE = 'kw_refresh';
const REFRESH_COOKIE_PATH = '/api/auth';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('register')
  @UseGuards(LoginThrottlerGuard)
  @SkipThrottle({ [LOGIN_BY_ACCOUNT]: true })
  async register(
    @Body() body: RegisterRequest,
    @Req() request: FastifyRequest,
  ): Promise<RegisterResponse> {
    return { user: await this.auth.register(body, clientOf(request)) };
  }

  @Post('login')
  @HttpCode(200)
  @UseGuards(LoginThrottlerGuard)
  async login(
    @Body() body: LoginRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoginResponse> {
    const issued = await this.auth.login(body, clientOf(request));
    return setRefreshCookie(request, reply, issued);
  }

  @Post('refresh')
  @HttpCode(200)
  async refresh(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RefreshResponse> {
    try {
      return setRefreshCookie(
        request,
        reply,
        await this.auth.refresh(request.cookies[REFRESH_COOKIE]),
      );
    } catch (error) {
      // Only a refused cookie is dropped: one that met a database outage still holds a session.
      if (error instanceof AppException && refreshEndsSession(error)) {
        clearRefreshCookie(request, reply);
      }
      throw error;
    }
  }

  @Post('logout')
  @HttpCode(204)
  async logout(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.logout(request.cookies[REFRESH_COOKIE], clientOf(request));
    clearRefreshCookie(request, reply);
  }

  @Get('me')
  @ApiBearerAuth()
  @UseGuards(JwtAuthGuard)
  async me(@CurrentUser() user: AuthUser): Promise<MeResponse> {
    return { user: await this.users.get(user.id) };
  }

  @Patch('me')
  @ApiBearerAuth()
  @UseGuards(JwtAuthGuard)
  async updateProfile(
    @CurrentUser() user: AuthUser,
    @Req() request: FastifyRequest,
    @Body() body: UpdateProfileRequest,
  ): Promise<MeResponse> {
    return { user: await this.auth.updateProfile(user, clientOf(request), body) };
  }

  /** Console sessions only: an API key must never be able to change its owner's password. */
  @Post('password')
  @HttpCode(204)
  @ApiBearerAuth()
  @UseGuards(JwtAuthGuard, LoginThrottlerGuard)
  @SkipThrottle({ [LOGIN_BY_ACCOUNT]: true })
  changePassword(
    @CurrentUser() user: AuthUser,
    @Req() request: FastifyRequest,
    @Body() body: ChangePasswordRequest,
  ): Promise<void> {
    return this.auth.changePassword(user, clientOf(request), body);
  }
}

function setRefreshCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  issued: IssuedTokens,
): LoginResponse {
  void reply.setCookie(REFRESH_COOKIE, issued.refreshToken, {
    ...refreshCookieAttributes(request),
    expires: issued.refreshExpiresAt,
  });
  return issued.response;
}

/**
 * Set and cleared alike: a browser drops a cookie only on a clearing header that matches it, and
 * a clearing header without the cookie's own attributes would itself be a weaker cookie.
 */
function refreshCookieAttributes(request: FastifyRequest) {
  return {
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    path: REFRESH_COOKIE_PATH,
  } as const;
}

function clientOf(request: FastifyRequest): ClientInfo {
  return { ip: request.ip, userAgent: request.headers['user-agent']?.slice(0, 512) ?? null };
}

function clearRefreshCookie(request: FastifyRequest, reply: FastifyReply): void {
  void reply.clearCookie(REFRESH_COOKIE, refreshCookieAttributes(request));
}
