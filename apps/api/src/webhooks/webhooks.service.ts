import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type {
  WebhookDeliveryResponse,
  WebhookPayload,
  WebhookResponse,
  WebhookTestResponse,
  WebhookWithSecretResponse,
} from '@keyward/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { auditFieldsOf, type Actor } from '../auth/principal.js';
import { AppException, notFound } from '../common/app.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { SealedSecret } from '../providers/crypto/envelope.js';
import { resolveWebhookTarget, WebhookUrlRefusedError } from './address-policy.js';
import { newWebhookSecret, openWebhookSecret, sealWebhookSecret } from './webhook-secret.js';
import { sendWebhook } from './webhook-sender.js';

/** How many recent deliveries the settings page shows. */
const RECENT_DELIVERIES = 20;

interface WebhookRow {
  url: string;
  created_at: Date | string;
  updated_at: Date | string;
}

interface DeliveryRow {
  id: string;
  notification_id: string;
  kind: string;
  status: WebhookDeliveryResponse['status'];
  attempts: number;
  last_http_status: number | null;
  last_error: string | null;
  delivered_at: Date | string | null;
  created_at: Date | string;
}

export interface SecretColumns {
  secret_ciphertext: Uint8Array;
  secret_wrapped_key: Uint8Array;
  key_version: string;
}

export const sealedFrom = (row: SecretColumns): SealedSecret => ({
  ciphertext: Buffer.from(row.secret_ciphertext),
  wrappedKey: Buffer.from(row.secret_wrapped_key),
  keyVersion: row.key_version,
});

/**
 * How many rows an UPDATE or DELETE touched: TypeORM's PostgreSQL drivers answer those with
 * `[rows, count]` rather than the rows.
 */
export function affectedBy(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && typeof result[1] === 'number') {
    return result[1];
  }
  return Array.isArray(result) ? result.length : 0;
}

export const isoOf = (value: Date | string): string => new Date(value).toISOString();

/**
 * A user's one webhook: where their notifications are also POSTed, signed with a secret that is
 * generated here, shown once, and kept sealed under the master keys so deliveries can sign.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async get(userId: string): Promise<WebhookResponse> {
    const row = await this.findOwn(this.dataSource.manager, userId);
    if (!row) throw notFound('Webhook');
    return this.toResponse(this.dataSource.manager, userId, row);
  }

  /**
   * Sets the URL. A new webhook gets a secret, returned this once; changing the URL of an existing
   * one keeps its secret (receivers need not be reconfigured) and returns none.
   */
  async set(actor: Actor, url: string): Promise<WebhookResponse | WebhookWithSecretResponse> {
    await this.checkUrl(url);
    const secret = newWebhookSecret();
    const sealed = sealWebhookSecret(this.config.providers.masterKeys, actor.userId, secret);
    return this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO webhooks (user_id, url, secret_ciphertext, secret_wrapped_key, key_version)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO NOTHING RETURNING user_id`,
        [actor.userId, url, sealed.ciphertext, sealed.wrappedKey, sealed.keyVersion],
      );
      const created = inserted.length > 0;
      if (!created) {
        await manager.query(`UPDATE webhooks SET url = $2, updated_at = now() WHERE user_id = $1`, [
          actor.userId,
          url,
        ]);
      }
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'webhook.set',
        ownerUserId: actor.userId,
        targetType: 'webhook',
        targetId: actor.userId,
        details: { host: new URL(url).host, created },
      });
      const response = await this.toResponse(
        manager,
        actor.userId,
        await this.ownOrFail(manager, actor.userId),
      );
      return created ? { ...response, secret } : response;
    });
  }

  async remove(actor: Actor): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const deleted: unknown = await manager.query(`DELETE FROM webhooks WHERE user_id = $1`, [
        actor.userId,
      ]);
      if (affectedBy(deleted) === 0) throw notFound('Webhook');
      // Nothing left to deliver to; a webhook set later starts with new notifications only.
      await manager.query(
        `UPDATE webhook_deliveries SET status = 'failed', last_error = 'The webhook was removed'
         WHERE user_id = $1 AND status = 'pending'`,
        [actor.userId],
      );
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'webhook.remove',
        ownerUserId: actor.userId,
        targetType: 'webhook',
        targetId: actor.userId,
      });
    });
  }

  /** A new secret, returned this once; deliveries from now on are signed with it. */
  async rotateSecret(actor: Actor): Promise<WebhookWithSecretResponse> {
    const secret = newWebhookSecret();
    const sealed = sealWebhookSecret(this.config.providers.masterKeys, actor.userId, secret);
    return this.dataSource.transaction(async (manager) => {
      const updated: unknown = await manager.query(
        `UPDATE webhooks SET secret_ciphertext = $2, secret_wrapped_key = $3, key_version = $4,
           updated_at = now()
         WHERE user_id = $1`,
        [actor.userId, sealed.ciphertext, sealed.wrappedKey, sealed.keyVersion],
      );
      if (affectedBy(updated) === 0) throw notFound('Webhook');
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'webhook.secret_rotate',
        ownerUserId: actor.userId,
        targetType: 'webhook',
        targetId: actor.userId,
      });
      const row = await this.ownOrFail(manager, actor.userId);
      return { ...(await this.toResponse(manager, actor.userId, row)), secret };
    });
  }

  /** One signed `webhook_test` POST, sent now and not retried, so the user sees the result. */
  async test(userId: string): Promise<WebhookTestResponse> {
    const rows: (SecretColumns & { url: string })[] = await this.dataSource.query(
      `SELECT url, secret_ciphertext, secret_wrapped_key, key_version FROM webhooks WHERE user_id = $1`,
      [userId],
    );
    const row = rows[0];
    if (!row) throw notFound('Webhook');
    const secret = openWebhookSecret(this.config.providers.masterKeys, userId, sealedFrom(row));
    const payload: WebhookPayload = {
      id: `test_${Date.now().toString(36)}`,
      kind: 'webhook_test',
      title: 'Keyward webhook test',
      body: 'Your webhook is set up: this request carries a valid signature.',
      data: {},
      createdAt: new Date().toISOString(),
    };
    const outcome = await sendWebhook(row.url, secret, JSON.stringify(payload), {
      timeoutMs: this.config.webhooks.timeoutMs,
      allowPrivateNetworks: this.config.webhooks.allowPrivateNetworks,
    });
    return outcome.delivered
      ? { delivered: true, httpStatus: outcome.httpStatus, error: null }
      : { delivered: false, httpStatus: outcome.httpStatus, error: outcome.error };
  }

  private async checkUrl(url: string): Promise<void> {
    try {
      await resolveWebhookTarget(url, {
        allowPrivateNetworks: this.config.webhooks.allowPrivateNetworks,
      });
    } catch (error) {
      if (error instanceof WebhookUrlRefusedError) {
        throw new AppException(400, 'webhook_url_refused', error.message);
      }
      throw error;
    }
  }

  private async findOwn(manager: EntityManager, userId: string): Promise<WebhookRow | undefined> {
    const rows: WebhookRow[] = await manager.query(
      `SELECT url, created_at, updated_at FROM webhooks WHERE user_id = $1`,
      [userId],
    );
    return rows[0];
  }

  private async ownOrFail(manager: EntityManager, userId: string): Promise<WebhookRow> {
    const row = await this.findOwn(manager, userId);
    if (!row) throw notFound('Webhook');
    return row;
  }

  private async toResponse(
    manager: EntityManager,
    userId: string,
    row: WebhookRow,
  ): Promise<WebhookResponse> {
    const deliveries: DeliveryRow[] = await manager.query(
      `SELECT d.id, d.notification_id, n.kind, d.status, d.attempts, d.last_http_status,
         d.last_error, d.delivered_at, d.created_at
       FROM webhook_deliveries d JOIN notifications n ON n.id = d.notification_id
       WHERE d.user_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2`,
      [userId, RECENT_DELIVERIES],
    );
    return {
      url: row.url,
      createdAt: isoOf(row.created_at),
      updatedAt: isoOf(row.updated_at),
      deliveries: deliveries.map((delivery) => ({
        id: delivery.id,
        notificationId: delivery.notification_id,
        kind: delivery.kind,
        status: delivery.status,
        attempts: delivery.attempts,
        lastHttpStatus: delivery.last_http_status,
        lastError: delivery.last_error,
        deliveredAt: delivery.delivered_at === null ? null : isoOf(delivery.delivered_at),
        createdAt: isoOf(delivery.created_at),
      })),
    };
  }
}
