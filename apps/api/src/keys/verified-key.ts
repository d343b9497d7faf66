import type { Role, Scope } from '@keyward/shared';

/**
 * What the verification guard knows about a presented secret, cached in process. It includes the
 * states that refuse the key (revoked, expired), so refusals are as cheap as successes.
 */
export interface VerifiedKey {
  keyId: string;
  secretId: string;
  userId: string;
  ownerRole: Role;
  ownerDisabled: boolean;
  name: string;
  /** Granted scopes, already narrowed to what the owner may hold today. */
  scopes: Scope[];
  rateLimit: { limit: number; windowSeconds: number };
  allowedModels: string[];
  /** The owner's plan, whose monthly limits apply to every key of theirs. */
  planId: string;
  /** This key's own monthly spending cap in micro-dollars, or null. */
  monthlyBudgetMicros: number | null;
  /** Milliseconds since the epoch, or null for never. */
  expiresAt: number | null;
  /** Set once a regeneration replaced this secret: the end of its grace period. */
  secretExpiresAt: number | null;
  revokedAt: number | null;
}
