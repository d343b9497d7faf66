import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Scope } from '@keyward/shared';
import { AppException } from '../common/app.exception.js';
import { KeyActivityRecorder } from '../keys/key-activity.recorder.js';
import type { PrincipalRequest } from './principal.js';

const SCOPES_KEY = 'keyward:scopes';

export const RequireScopes = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  SetMetadata(SCOPES_KEY, scopes);

/** Runs after authentication: the principal must hold every scope the route names. */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly activity: KeyActivityRecorder,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const required =
      this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_KEY, [
        context.getHandler(),
        context.getClass(),
      ]) ?? [];
    const principal = context.switchToHttp().getRequest<PrincipalRequest>().principal;
    if (!principal) throw new AppException(401, 'unauthenticated', 'Authentication required');
    const missing = required.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length === 0) {
      // Counted here, the last guard, so refused requests (429, 403) are not usage.
      if (principal.kind === 'key') {
        this.activity.recordUse(principal.key.keyId, principal.key.secretId);
      }
      return true;
    }
    if (principal.kind === 'key') {
      throw new AppException(
        403,
        'insufficient_scope',
        `This API key lacks the scope ${missing.join(', ')} needed here`,
      );
    }
    throw new AppException(403, 'forbidden', 'Your account cannot use this route');
  }
}
