import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Role, Scope } from '@keyward/shared';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { scopesOfRole, type PrincipalRequest } from '../auth/principal.js';
import { AppException } from '../common/app.exception.js';
import { SingleFlight } from '../common/single-flight.js';
import { readFromDatabase } from '../common/stale-while-unavailable.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { rateLimitedError } from '../rate-limit/rate-limit.headers.js';
import { KeyCache } from './key-cache.js';
import { hashApiKey, isWellFormedApiKey } from './key-format.js';
import type { VerifiedKey } from './verified-key.js';

interface KeyRow {
  key_id: string;
  secret_id: string;
  user_id: string;
  name: string;
  scopes: Scope[];
  rate_limit: number;
  rate_window_seconds: number;
  allowed_models: string[];
  /** bigint arrives as a string */
  monthly_budget_micros: string | null;
  plan_id: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  secret_expires_at: Date | null;
  role: Role;
  disabled: boolean;
}

/**
 * The hot path: turns a presented key into what it grants, in this order and stopping at the
 * first answer: shape and checksum (no I/O), the in-process caches, then one indexed query.
 */
@Injectable()
export class KeyVerificationService {
  /** Lookups in flight, by hash. */
  private readonly lookups = new SingleFlight<string, VerifiedKey | undefined>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: KeyCache,
    private readonly limiter: RateLimiterService,
    private readonly audit: AuditService,
  ) {}

  async verify(presented: string | undefined, ip: string): Promise<VerifiedKey> {
    if (!presented) {
      throw new AppException(
        401,
        'missing_key',
        'Send an API key as Authorization: Bearer <key> or X-API-Key',
      );
    }
    if (!isWellFormedApiKey(presented)) return this.refuseInvalid(ip);
    const hash = hashApiKey(presented);
    let key = this.cache.get(hash);
    if (!key) {
      if (this.cache.isKnownUnknown(hash)) return this.refuseInvalid(ip);
      const found = await this.lookUp(hash);
      if (!found) return this.refuseInvalid(ip);
      key = found;
    }
    const now = Date.now();
    if (key.revokedAt !== null) {
      throw new AppException(401, 'key_revoked', 'This API key has been revoked');
    }
    // Before the owner's state: a replaced secret tells its holder nothing about the account.
    if (key.secretExpiresAt !== null && key.secretExpiresAt <= now) {
      throw new AppException(401, 'key_revoked', 'This API key was regenerated; use the new key');
    }
    // The same code (the key cannot be used), but said as it is: the key works again when its
    // owner is enabled again, which a revoked key never does.
    if (key.ownerDisabled) {
      throw new AppException(401, 'key_revoked', "This API key's owner account is disabled");
    }
    if (key.expiresAt !== null && key.expiresAt <= now) {
      throw new AppException(401, 'key_expired', 'This API key has expired');
    }
    return key;
  }

  /** Verifies the key a request presents and records it as the request's principal. */
  async authenticate(request: PrincipalRequest, presented: string | undefined): Promise<void> {
    const key = await this.verify(presented, request.ip);
    request.apiKey = key;
    request.principal = {
      kind: 'key',
      userId: key.userId,
      role: key.ownerRole,
      key,
      scopes: key.scopes,
    };
  }

  /**
   * A key not in the cache, read once however many requests present it at the same time: a
   * busy key whose entry runs out, or a burst on a new one, costs one query rather than one per
   * request (and, with the database silent, one wait on the pool rather than a pool's worth).
   * A lookup joins only one begun since the last eviction, so a request arriving after a revoke
   * never takes an answer read before it.
   */
  private lookUp(hash: string): Promise<VerifiedKey | undefined> {
    const generation = this.cache.generation;
    return this.lookups.run(hash, generation, async () => {
      const found = await this.loadOrStale(hash);
      if (found) this.cache.set(hash, found, generation);
      else this.cache.rememberUnknown(hash);
      return found;
    });
  }

  /**
   * The database's answer or, when it cannot be reached, the key as last cached: a guarded
   * call with a key in use goes on through an outage (renewed in the cache for another lifetime,
   * within STALE_WHILE_UNAVAILABLE_MS of its last read).
   */
  private async loadOrStale(hash: string): Promise<VerifiedKey | undefined> {
    const startedAt = Date.now();
    try {
      const found = await this.load(hash);
      return found && readFromDatabase(found, startedAt);
    } catch (error) {
      return this.cache.staleOrRethrow(hash, error);
    }
  }

  private async load(hash: string): Promise<VerifiedKey | undefined> {
    const rows: KeyRow[] = await this.dataSource.query(
      `SELECT k.id AS key_id, s.id AS secret_id, k.user_id, k.name, k.scopes, k.rate_limit,
              k.rate_window_seconds, k.allowed_models, k.monthly_budget_micros, u.plan_id, k.expires_at, k.revoked_at,
              s.expires_at AS secret_expires_at, u.role, u.disabled
         FROM api_key_secrets s
         JOIN api_keys k ON k.id = s.key_id
         JOIN users u ON u.id = k.user_id
        WHERE s.key_hash = $1`,
      [hash],
    );
    const row = rows[0];
    if (!row) return undefined;
    const held = scopesOfRole(row.role);
    const time = (value: Date | null): number | null => (value ? new Date(value).getTime() : null);
    return {
      keyId: row.key_id,
      secretId: row.secret_id,
      userId: row.user_id,
      ownerRole: row.role,
      ownerDisabled: row.disabled,
      name: row.name,
      scopes: row.scopes.filter((scope) => held.includes(scope)),
      rateLimit: { limit: row.rate_limit, windowSeconds: row.rate_window_seconds },
      allowedModels: row.allowed_models,
      planId: row.plan_id,
      monthlyBudgetMicros:
        row.monthly_budget_micros === null ? null : Number(row.monthly_budget_micros),
      expiresAt: time(row.expires_at),
      secretExpiresAt: time(row.secret_expires_at),
      revokedAt: time(row.revoked_at),
    };
  }

  /**
   * A wrong key costs the caller a slot in a per-IP budget. Running it out gets 429, and the
   * moment it runs out is written to the audit log once per window, not once per request.
   */
  private async refuseInvalid(ip: string): Promise<never> {
    const limit = this.config.keys.invalidKeyMaxPerIpPerMinute;
    const decision = await this.limiter.hit(`badkey:${ip}`, limit, 60_000);
    if (!decision.allowed) {
      throw rateLimitedError(decision, 'Too many invalid API keys from this address');
    }
    if (decision.remaining === 0) {
      this.audit.recordInBackground({
        action: 'key.verification_failed_burst',
        ownerUserId: null,
        ip,
        details: { failuresPerMinute: limit },
      });
    }
    throw new AppException(401, 'invalid_key', 'API key is not valid');
  }
}
