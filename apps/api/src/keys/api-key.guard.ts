import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { PrincipalRequest } from '../auth/principal.js';
import { KeyVerificationService } from './key-verification.service.js';
import { presentedKey } from './presented-key.js';

/** Guarded (`/v1`) routes: an API key and nothing else. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly verification: KeyVerificationService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<PrincipalRequest>();
    const key = await this.verification.verify(presentedKey(request), request.ip);
    request.apiKey = key;
    request.principal = {
      kind: 'key',
      userId: key.userId,
      role: key.ownerRole,
      key,
      scopes: key.scopes,
    };
    return true;
  }
}
