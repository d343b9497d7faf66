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
    await this.verification.authenticate(request, presentedKey(request));
    return true;
  }
}
