import { Injectable, type ExecutionContext } from '@nestjs/common';
import { KeyVerificationService } from '../keys/key-verification.service.js';
import { looksLikeJwt, presentedKey } from '../keys/presented-key.js';
import type { AuthUser } from './auth-user.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { scopesOfRole, type PrincipalRequest } from './principal.js';

/**
 * Management routes (`/api/...`): a console access token, or an API key acting for its owner
 * (whose scopes then decide what it may do).
 */
@Injectable()
export class ConsoleAuthGuard extends JwtAuthGuard {
  constructor(private readonly verification: KeyVerificationService) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<PrincipalRequest>();
    const token = presentedKey(request);
    if (
      token !== undefined &&
      (request.headers['x-api-key'] !== undefined || !looksLikeJwt(token))
    ) {
      await this.verification.authenticate(request, token);
      return true;
    }
    await super.canActivate(context);
    const user = (request as PrincipalRequest & { user: AuthUser }).user;
    request.principal = {
      kind: 'session',
      userId: user.id,
      role: user.role,
      sessionId: user.sessionId,
      scopes: scopesOfRole(user.role),
    };
    return true;
  }
}
