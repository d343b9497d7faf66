import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { VerifiedKey } from '../keys/verified-key.js';
import { actorOf, type Actor, type Principal, type PrincipalRequest } from './principal.js';

function requestOf(context: ExecutionContext): PrincipalRequest {
  return context.switchToHttp().getRequest<PrincipalRequest>();
}

/** The authenticated caller; only on routes behind ConsoleAuth or KeyAuth. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = requestOf(context).principal;
    if (!principal) {
      throw new Error('CurrentPrincipal used on a route without ConsoleAuth or KeyAuth');
    }
    return principal;
  },
);

/** The verified API key; only on routes behind KeyAuth. */
export const CurrentKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): VerifiedKey => {
    const key = requestOf(context).apiKey;
    if (!key) throw new Error('CurrentKey used on a route without KeyAuth');
    return key;
  },
);

/** Who is acting, with IP and user agent, as the audit log records it. */
export const CurrentActor = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Actor => actorOf(requestOf(context)),
);
