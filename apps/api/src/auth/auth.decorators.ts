import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { Scope } from '@keyward/shared';
import { ApiKeyGuard } from '../keys/api-key.guard.js';
import { KeyRateLimitGuard } from '../rate-limit/key-rate-limit.guard.js';
import { ConsoleAuthGuard } from './console-auth.guard.js';
import { RequireScopes, ScopesGuard } from './scopes.guard.js';

/** A management route: console token or API key, then the key's rate limit, then scopes. */
export const ConsoleAuth = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    RequireScopes(...scopes),
    UseGuards(ConsoleAuthGuard, KeyRateLimitGuard, ScopesGuard),
    ApiBearerAuth(),
    ApiSecurity('api-key'),
  );

/** A guarded route: API key only, its rate limit, then scopes. */
export const KeyAuth = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    RequireScopes(...scopes),
    UseGuards(ApiKeyGuard, KeyRateLimitGuard, ScopesGuard),
    ApiSecurity('api-key'),
  );
