import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  DEFAULT_RATE_LIMIT,
  type ApiKeyResponse,
  type CreateApiKeyRequest,
  type CreatedApiKeyResponse,
  type ListApiKeysQuery,
  type Page,
  type RegenerateApiKeyRequest,
  type RegeneratedApiKeyResponse,
  type UpdateApiKeyRequest,
} from '@keyward/shared';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { auditFieldsOf, type Actor, type Principal } from '../auth/principal.js';
import { AppException, invalidField, notFound } from '../common/app.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { newId } from '../database/ids.js';
import { ApiKeySecret } from './api-key-secret.entity.js';
import { ApiKey } from './api-key.entity.js';
import { statusOf, toApiKeyResponse } from './api-key.mapper.js';
import { KeyCache } from './key-cache.js';
import { generateApiKey } from './key-format.js';
import { assertGrantable, checkedMetadata, expiryFrom, requestedScopes } from './key-rules.js';

const STATUS_CONDITION = {
  active: 'k.revokedAt IS NULL AND (k.expiresAt IS NULL OR k.expiresAt > now())',
  expired: 'k.revokedAt IS NULL AND k.expiresAt <= now()',
  revoked: 'k.revokedAt IS NOT NULL',
} as const;

/** The rules of the key lifecycle. Every query is scoped to the caller's own keys. */
@Injectable()
export class ApiKeysService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly cache: KeyCache,
  ) {}

  async create(
    principal: Principal,
    actor: Actor,
    body: CreateApiKeyRequest,
  ): Promise<CreatedApiKeyResponse> {
    const scopes = requestedScopes(body);
    assertGrantable(scopes, principal.scopes);
    const prefix = body.prefix ?? this.config.keys.defaultPrefix;
    const generated = generateApiKey(prefix);
    const key = await this.dataSource.transaction(async (manager) => {
      const created = await manager.getRepository(ApiKey).save({
        id: newId('key'),
        userId: principal.userId,
        name: body.name.trim(),
        description: body.description?.trim() || null,
        prefix,
        scopes,
        expiresAt: expiryFrom(body),
        revokedAt: null,
        rateLimit: body.rateLimit?.limit ?? DEFAULT_RATE_LIMIT.limit,
        rateWindowSeconds: body.rateLimit?.windowSeconds ?? DEFAULT_RATE_LIMIT.windowSeconds,
        allowedModels: body.allowedModels ?? [],
        metadata: checkedMetadata(body.metadata),
        onLeak: body.onLeak ?? 'revoke',
        monthlyBudgetMicros: body.monthlyBudgetMicros ?? null,
        displayStart: generated.start,
        displayEnd: generated.end,
        lastUsedAt: null,
      });
      await this.insertSecret(manager, created.id, generated);
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'key.create',
        ownerUserId: principal.userId,
        targetType: 'api_key',
        targetId: created.id,
        details: {
          name: created.name,
          scopes,
          expiresAt: created.expiresAt?.toISOString() ?? null,
        },
      });
      return created;
    });
    return { ...toApiKeyResponse(key, 0), key: generated.plaintext };
  }

  /** The caller's keys with last use and 30-day request counts: one query for the page. */
  async list(principal: Principal, query: ListApiKeysQuery): Promise<Page<ApiKeyResponse>> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const builder = this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .addSelect(
        (sub) =>
          sub
            .select('COALESCE(sum(u.requests), 0)')
            .from('api_key_daily_usage', 'u')
            .where('u.key_id = k.id')
            .andWhere('u.day > current_date - 30'),
        'requests_30d',
      )
      .where('k.userId = :userId', { userId: principal.userId });
    if (query.status) builder.andWhere(STATUS_CONDITION[query.status]);
    if (query.name) {
      const pattern = `%${query.name.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
      builder.andWhere('k.name ILIKE :pattern', { pattern });
    }
    const [{ entities, raw }, total] = await Promise.all([
      builder
        .clone()
        .orderBy('k.createdAt', 'DESC')
        .addOrderBy('k.id', 'DESC')
        .offset((page - 1) * pageSize)
        .limit(pageSize)
        .getRawAndEntities<{ requests_30d: string }>(),
      builder.getCount(),
    ]);
    const items = entities.map((key, index) =>
      toApiKeyResponse(key, Number(raw[index]?.requests_30d ?? 0)),
    );
    return { items, page, pageSize, total };
  }

  async get(principal: Principal, id: string): Promise<ApiKeyResponse> {
    const key = await this.findOwn(this.dataSource.manager, principal.userId, id);
    return toApiKeyResponse(key, await this.requestsLast30Days(id));
  }

  async update(
    principal: Principal,
    actor: Actor,
    id: string,
    body: UpdateApiKeyRequest,
  ): Promise<ApiKeyResponse> {
    if (body.scopes !== undefined) {
      if (body.scopes.length === 0) {
        throw invalidField('scopes', 'scopes must not be empty');
      }
      assertGrantable(body.scopes, principal.scopes);
    }
    const { key, changed } = await this.dataSource.transaction(async (manager) => {
      const current = await this.findOwn(manager, principal.userId, id, true);
      // A caller may only manage keys no more powerful than itself.
      assertGrantable(current.scopes, principal.scopes);
      const status = statusOf(current);
      if (status !== 'active') {
        throw new AppException(
          409,
          'key_not_active',
          `This key is ${status}; only an active key can be changed`,
        );
      }
      const changed: string[] = [];
      const set = <K extends keyof ApiKey>(field: K, value: ApiKey[K] | undefined): void => {
        if (value === undefined) return;
        current[field] = value;
        changed.push(field);
      };
      set('name', body.name?.trim());
      set(
        'description',
        body.description === undefined ? undefined : body.description?.trim() || null,
      );
      set('scopes', body.scopes);
      set('rateLimit', body.rateLimit?.limit);
      set('rateWindowSeconds', body.rateLimit?.windowSeconds);
      set('allowedModels', body.allowedModels);
      set('onLeak', body.onLeak);
      set('monthlyBudgetMicros', body.monthlyBudgetMicros);
      if (body.metadata !== undefined) set('metadata', checkedMetadata(body.metadata));
      if (body.expiresAt !== undefined) set('expiresAt', expiryFrom({ expiresAt: body.expiresAt }));
      // An edit that sets nothing is not an event: no write, no audit entry, no cache eviction.
      if (changed.length === 0) return { key: current, changed };
      const saved = await manager.getRepository(ApiKey).save(current);
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'key.update',
        ownerUserId: principal.userId,
        targetType: 'api_key',
        targetId: id,
        details: { changed },
      });
      return { key: saved, changed };
    });
    if (changed.length > 0) await this.cache.invalidate([id]);
    return toApiKeyResponse(key, await this.requestsLast30Days(id));
  }

  /** Revocation keeps the row for history; revoking twice is harmless. */
  async revoke(principal: Principal, actor: Actor, id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const key = await this.findOwn(manager, principal.userId, id, true);
      if (key.revokedAt) return;
      await manager.getRepository(ApiKey).update({ id }, { revokedAt: new Date() });
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'key.revoke',
        ownerUserId: principal.userId,
        targetType: 'api_key',
        targetId: id,
        details: { name: key.name },
      });
    });
    await this.cache.invalidate([id]);
  }

  /**
   * A new secret under the same id. The previous secret keeps working for the grace period (none
   * by default); the key's expiry, scopes and limits carry over.
   */
  async regenerate(
    principal: Principal,
    actor: Actor,
    id: string,
    body: RegenerateApiKeyRequest,
  ): Promise<RegeneratedApiKeyResponse> {
    const graceSeconds = body.gracePeriodSeconds ?? 0;
    const now = new Date();
    const previousUntil = new Date(now.getTime() + graceSeconds * 1000);
    const result = await this.dataSource.transaction(async (manager) => {
      const key = await this.findOwn(manager, principal.userId, id, true);
      assertGrantable(key.scopes, principal.scopes);
      if (statusOf(key, now) !== 'active') {
        throw new AppException(409, 'key_not_active', 'Only an active key can be regenerated');
      }
      const generated = generateApiKey(key.prefix);
      // Every still-valid older secret ends with the grace period at the latest.
      await manager.query(
        `UPDATE api_key_secrets SET expires_at = $2
          WHERE key_id = $1 AND (expires_at IS NULL OR expires_at > $2)`,
        [id, previousUntil],
      );
      await this.insertSecret(manager, id, generated);
      key.displayStart = generated.start;
      key.displayEnd = generated.end;
      const saved = await manager.getRepository(ApiKey).save(key);
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'key.regenerate',
        ownerUserId: principal.userId,
        targetType: 'api_key',
        targetId: id,
        details: { gracePeriodSeconds: graceSeconds },
      });
      return { saved, plaintext: generated.plaintext };
    });
    await this.cache.invalidate([id]);
    return {
      ...toApiKeyResponse(result.saved, await this.requestsLast30Days(id)),
      key: result.plaintext,
      previousKeyExpiresAt: graceSeconds > 0 ? previousUntil.toISOString() : null,
    };
  }

  private async insertSecret(
    manager: EntityManager,
    keyId: string,
    generated: { hash: string; start: string; end: string },
  ): Promise<void> {
    await manager.getRepository(ApiKeySecret).insert({
      id: newId('ksv'),
      keyId,
      keyHash: generated.hash,
      displayStart: generated.start,
      displayEnd: generated.end,
      expiresAt: null,
      lastUsedAt: null,
    });
  }

  private async findOwn(
    manager: EntityManager,
    userId: string,
    id: string,
    lock = false,
  ): Promise<ApiKey> {
    const key = await manager.getRepository(ApiKey).findOne({
      where: { id, userId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!key) throw notFound('API key');
    return key;
  }

  private async requestsLast30Days(keyId: string): Promise<number> {
    const rows: { requests: string | null }[] = await this.dataSource.query(
      `SELECT sum(requests) AS requests FROM api_key_daily_usage WHERE key_id = $1 AND day > current_date - 30`,
      [keyId],
    );
    return Number(rows[0]?.requests ?? 0);
  }
}
