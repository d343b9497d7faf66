import { ADMIN_SCOPES, SCOPES, type Role, type Scope } from '@keyward/shared';
import type { FastifyRequest } from 'fastify';
import type { VerifiedKey } from '../keys/verified-key.js';

/**
 * Whoever is calling: a signed-in console user, or an API key acting for its owner. Services take
 * `userId` from here, never from the request body.
 */
export type Principal =
  | { kind: 'session'; userId: string; role: Role; sessionId: string; scopes: readonly Scope[] }
  | { kind: 'key'; userId: string; role: Role; key: VerifiedKey; scopes: readonly Scope[] };

export type PrincipalRequest = FastifyRequest & { principal?: Principal; apiKey?: VerifiedKey };

const USER_SCOPES = SCOPES.filter((scope) => !ADMIN_SCOPES.includes(scope));

/** What a user of this role may do, and so the most its keys may be granted. */
export function scopesOfRole(role: Role): readonly Scope[] {
  return role === 'admin' ? SCOPES : USER_SCOPES;
}

/** Who did it, as the audit log records it. */
export interface Actor {
  userId: string;
  keyId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export function actorOf(request: PrincipalRequest): Actor {
  const principal = request.principal;
  if (!principal) throw new Error('actorOf called on an unauthenticated request');
  return {
    userId: principal.userId,
    keyId: principal.kind === 'key' ? principal.key.keyId : null,
    ip: request.ip,
    userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
  };
}

/** The actor fields of an audit entry. */
export function auditFieldsOf(actor: Actor): {
  actorUserId: string;
  actorKeyId: string | null;
  ip: string | null;
  userAgent: string | null;
} {
  return {
    actorUserId: actor.userId,
    actorKeyId: actor.keyId,
    ip: actor.ip,
    userAgent: actor.userAgent,
  };
}
