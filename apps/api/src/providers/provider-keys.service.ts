import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  CREDENTIAL_STATUSES,
  PROVIDER_IDS,
  type CreateProviderKeyRequest,
  type CredentialStatus,
  type ProviderKeyResponse,
  type ProviderKeyTestResponse,
  type ProviderStatusEntry,
  type UpdateProviderKeyRequest,
} from '@keyward/shared';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { auditFieldsOf, type Actor } from '../auth/principal.js';
import { AppException, notFound } from '../common/app.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { newId } from '../database/ids.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { CredentialLookup } from './credential-lookup.js';
import { CredentialVault } from './credential-vault.js';
import { maskSecret } from './crypto/envelope.js';
import { adapterFor, baseUrlFor } from './provider-catalogue.js';
import { ProviderCredential } from './provider-credential.entity.js';
import { ProviderNetwork } from './provider-network.js';
import { verifyCredential, type VerificationOutcome } from './verification/provider-verifier.js';

const MAX_BODY_BYTES = 64 * 1024;

/** From best to worst: what a provider's status shows when a user has several keys for it. */
const STATUS_RANK: CredentialStatus[] = [
  'valid',
  'rate_limited',
  'insufficient_quota',
  'unverified',
  'error',
  'invalid',
];

@Injectable()
export class ProviderKeysService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly vault: CredentialVault,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly lookup: CredentialLookup,
    private readonly network: ProviderNetwork,
  ) {}

  async create(actor: Actor, body: CreateProviderKeyRequest): Promise<ProviderKeyResponse> {
    const apiKey = body.apiKey.trim();
    const identity = { id: newId('pk'), userId: actor.userId, provider: body.provider };
    const outcome = body.verify === false ? null : await this.verify(identity.provider, apiKey);
    const sealed = this.vault.seal(identity, apiKey);
    const saved = await this.dataSource.transaction(async (manager) => {
      const credential = manager.getRepository(ProviderCredential).create({
        ...identity,
        name: body.name.trim(),
        maskedKey: maskSecret(apiKey),
        ...sealed,
        ...statusFields(outcome),
      });
      await manager.getRepository(ProviderCredential).insert(credential);
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'provider_key.create',
        ownerUserId: actor.userId,
        targetType: 'provider_key',
        targetId: identity.id,
        details: { provider: identity.provider, name: credential.name, status: credential.status },
      });
      return this.findOwn(manager, actor.userId, identity.id);
    });
    await this.lookup.invalidate(actor.userId);
    return toResponse(saved);
  }

  async list(userId: string): Promise<ProviderKeyResponse[]> {
    const rows = await this.dataSource.getRepository(ProviderCredential).find({
      where: { userId },
      order: { provider: 'ASC', createdAt: 'ASC' },
    });
    return rows.map(toResponse);
  }

  async get(userId: string, id: string): Promise<ProviderKeyResponse> {
    return toResponse(await this.findOwn(this.dataSource.manager, userId, id));
  }

  /** Renames, and/or replaces the secret (which is then verified again). */
  async update(
    actor: Actor,
    id: string,
    body: UpdateProviderKeyRequest,
  ): Promise<ProviderKeyResponse> {
    const current = await this.findOwn(this.dataSource.manager, actor.userId, id);
    const apiKey = body.apiKey?.trim();
    const outcome = apiKey ? await this.verify(current.provider, apiKey) : null;
    const saved = await this.dataSource.transaction(async (manager) => {
      const credential = await this.findOwn(manager, actor.userId, id);
      // Only the columns this change sets are written: a master-key rotation may re-wrap the
      // key between the read above and this write, and writing back the version read would
      // pair the new wrapping with the old version and leave the key unreadable.
      const changes: Partial<ProviderCredential> = {};
      if (body.name !== undefined) changes.name = body.name.trim();
      if (apiKey) {
        Object.assign(changes, this.vault.seal(credential, apiKey), statusFields(outcome), {
          maskedKey: maskSecret(apiKey),
        });
      }
      if (Object.keys(changes).length > 0) {
        await manager
          .getRepository(ProviderCredential)
          .update({ id, userId: actor.userId }, changes);
      }
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'provider_key.update',
        ownerUserId: actor.userId,
        targetType: 'provider_key',
        targetId: id,
        details: { renamed: body.name !== undefined, keyReplaced: Boolean(apiKey) },
      });
      return this.findOwn(manager, actor.userId, id);
    });
    await this.lookup.invalidate(actor.userId);
    return toResponse(saved);
  }

  async remove(actor: Actor, id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const credential = await this.findOwn(manager, actor.userId, id);
      await manager.getRepository(ProviderCredential).delete({ id, userId: actor.userId });
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'provider_key.delete',
        ownerUserId: actor.userId,
        targetType: 'provider_key',
        targetId: id,
        details: { provider: credential.provider, name: credential.name },
      });
    });
    await this.lookup.invalidate(actor.userId);
  }

  /** Verifies the stored key now, records the result, and reports it. */
  async test(userId: string, id: string): Promise<ProviderKeyTestResponse> {
    const credential = await this.findOwn(this.dataSource.manager, userId, id, true);
    const outcome = await this.verify(credential.provider, this.vault.open(credential, credential));
    await this.recordOutcome(credential, outcome);
    return {
      status: outcome.status,
      httpStatus: outcome.httpStatus,
      latencyMs: outcome.latencyMs,
      message: outcome.message,
    };
  }

  /** One entry per catalogue provider, from the user's credentials for it. */
  async status(userId: string): Promise<ProviderStatusEntry[]> {
    const rows = await this.dataSource
      .getRepository(ProviderCredential)
      .find({ where: { userId } });
    return PROVIDER_IDS.map((provider) => {
      const mine = rows.filter((row) => row.provider === provider);
      const best = STATUS_RANK.find((status) => mine.some((row) => row.status === status));
      const checked = mine
        .map((row) => row.lastVerifiedAt?.getTime() ?? 0)
        .filter((time) => time > 0);
      return {
        provider,
        name: adapterFor(provider).info.name,
        status: best ?? 'not_configured',
        keyCount: mine.length,
        lastCheckedAt: checked.length ? new Date(Math.max(...checked)).toISOString() : null,
      };
    });
  }

  /**
   * Re-verifies a stored credential (the scheduled job). A credential that turns invalid is
   * marked, and its owner notified, in the same transaction.
   */
  async reverify(credential: ProviderCredential): Promise<CredentialStatus> {
    const sealed = await this.findOwn(
      this.dataSource.manager,
      credential.userId,
      credential.id,
      true,
    );
    let outcome: VerificationOutcome;
    try {
      outcome = await this.verify(sealed.provider, this.vault.open(sealed, sealed));
    } catch (error) {
      if (!(error instanceof AppException && error.code === 'decryption_failed')) throw error;
      // Recorded like any failed check, so the job moves on and the owner learns of it.
      outcome = {
        status: 'error',
        httpStatus: null,
        latencyMs: 0,
        message: 'The stored key could not be decrypted; replace it.',
      };
    }
    await this.recordOutcome(sealed, outcome);
    return outcome.status;
  }

  private async recordOutcome(
    credential: ProviderCredential,
    outcome: VerificationOutcome,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // Only if the secret is still the one that was checked: a key replaced (or deleted) while
      // the provider was answering must not inherit the old key's result. The status it changes
      // from is read under the row's lock, not taken from before the check: two checks at once
      // (a user's test and the scheduled one) would otherwise both announce the same change.
      const locked: { status: ProviderCredential['status'] }[] = await manager.query(
        `SELECT status FROM provider_credentials
          WHERE id = $1 AND user_id = $2 AND ciphertext = $3 FOR NO KEY UPDATE`,
        [credential.id, credential.userId, credential.ciphertext],
      );
      const previous = locked[0]?.status;
      if (previous === undefined) return;
      await manager
        .getRepository(ProviderCredential)
        .update({ id: credential.id }, statusFields(outcome));
      if (outcome.status === previous) return;
      await this.audit.record(manager, {
        action: 'provider_key.status_change',
        ownerUserId: credential.userId,
        targetType: 'provider_key',
        targetId: credential.id,
        details: { provider: credential.provider, from: previous, to: outcome.status },
      });
      if (outcome.status === 'invalid') {
        await this.notifications.record(manager, {
          userId: credential.userId,
          kind: 'credential_invalid',
          title: `${adapterFor(credential.provider).info.name} key "${credential.name}" stopped working`,
          body: `${outcome.message} Requests will skip it until you replace it.`,
          data: { providerKeyId: credential.id, provider: credential.provider },
        });
      }
    });
    await this.lookup.invalidate(credential.userId);
  }

  private verify(
    provider: CreateProviderKeyRequest['provider'],
    apiKey: string,
  ): Promise<VerificationOutcome> {
    return verifyCredential(adapterFor(provider), baseUrlFor(this.config, provider), apiKey, {
      timeoutMs: this.config.providers.verifyTimeoutMs,
      maxBodyBytes: MAX_BODY_BYTES,
      dispatcher: this.network.verificationAgent,
    });
  }

  private async findOwn(
    manager: EntityManager,
    userId: string,
    id: string,
    withSecret = false,
  ): Promise<ProviderCredential> {
    const builder = manager
      .getRepository(ProviderCredential)
      .createQueryBuilder('credential')
      .where('credential.id = :id AND credential.userId = :userId', { id, userId });
    if (withSecret) builder.addSelect(['credential.ciphertext', 'credential.wrappedKey']);
    const credential = await builder.getOne();
    if (!credential) throw notFound('Provider key');
    return credential;
  }
}

function statusFields(
  outcome: VerificationOutcome | null,
): Pick<ProviderCredential, 'status' | 'lastVerifiedAt' | 'lastError' | 'lastHttpStatus'> {
  if (!outcome) {
    return { status: 'unverified', lastVerifiedAt: null, lastError: null, lastHttpStatus: null };
  }
  return {
    status: CREDENTIAL_STATUSES.includes(outcome.status) ? outcome.status : 'error',
    lastVerifiedAt: new Date(),
    lastError: outcome.status === 'valid' ? null : outcome.message,
    lastHttpStatus: outcome.httpStatus,
  };
}

function toResponse(credential: ProviderCredential): ProviderKeyResponse {
  return {
    id: credential.id,
    provider: credential.provider,
    name: credential.name,
    maskedKey: credential.maskedKey,
    status: credential.status,
    lastVerifiedAt: credential.lastVerifiedAt?.toISOString() ?? null,
    lastError: credential.lastError,
    createdAt: credential.createdAt.toISOString(),
    updatedAt: credential.updatedAt.toISOString(),
  };
}
