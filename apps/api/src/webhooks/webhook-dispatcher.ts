import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { WebhookPayload } from '@keyward/shared';
import type { DataSource } from 'typeorm';
import { PeriodicJob } from '../common/periodic-job.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { openWebhookSecret } from './webhook-secret.js';
import { sendWebhook, type SendOutcome } from './webhook-sender.js';
import { isoOf, sealedFrom, type SecretColumns } from './webhooks.service.js';

/** Deliveries claimed per poll; each replica sends its batch concurrently. */
const BATCH = 20;
/** No retry waits longer than a day. */
const MAX_BACKOFF_MS = 24 * 60 * 60 * 1000;

interface ClaimedRow extends Partial<SecretColumns> {
  id: string;
  user_id: string;
  attempts: number;
  notification_id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  notification_created_at: Date | string;
  url: string | null;
}

/**
 * Sends the webhook outbox. Rows are claimed with `FOR UPDATE SKIP LOCKED` and leased (their next
 * attempt pushed past the send's deadline) in one statement, so replicas never send the same
 * delivery twice, and a replica that dies mid-send only delays it until the lease ends.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.job = new PeriodicJob({
      intervalMs: config.webhooks.pollMs,
      run: () => this.dispatchDue(),
      logger: this.logger,
      failureMessage: 'Webhook dispatch failed',
    });
  }

  onModuleInit(): void {
    this.job.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  /** Sends one batch of due deliveries; returns how many were attempted. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  private async dispatchDue(): Promise<number> {
    const { timeoutMs } = this.config.webhooks;
    const leaseSeconds = Math.ceil(timeoutMs / 1000) + 30;
    const claimed: ClaimedRow[] = await this.dataSource.query(
      `WITH claimed AS (
         UPDATE webhook_deliveries SET attempts = attempts + 1,
           next_attempt_at = now() + make_interval(secs => $2)
         WHERE id IN (
           SELECT id FROM webhook_deliveries
           WHERE status = 'pending' AND next_attempt_at <= now()
           ORDER BY next_attempt_at LIMIT $1
           FOR UPDATE SKIP LOCKED)
         RETURNING id, user_id, attempts, notification_id)
       SELECT c.id, c.user_id, c.attempts, c.notification_id, n.kind, n.title, n.body, n.data,
         n.created_at AS notification_created_at, w.url, w.secret_ciphertext,
         w.secret_wrapped_key, w.key_version
       FROM claimed c
       JOIN notifications n ON n.id = c.notification_id
       LEFT JOIN webhooks w ON w.user_id = c.user_id`,
      [BATCH, leaseSeconds],
    );
    await Promise.all(claimed.map((row) => this.deliver(row)));
    return claimed.length;
  }

  private async deliver(row: ClaimedRow): Promise<void> {
    let outcome: SendOutcome;
    if (
      !row.url ||
      !row.secret_ciphertext ||
      !row.secret_wrapped_key ||
      row.key_version === undefined
    ) {
      outcome = { delivered: false, httpStatus: null, error: 'The webhook was removed' };
      await this.settle(row, outcome, true);
      return;
    }
    try {
      const secret = openWebhookSecret(this.config.providers.masterKeys, row.user_id, {
        ...sealedFrom({
          secret_ciphertext: row.secret_ciphertext,
          secret_wrapped_key: row.secret_wrapped_key,
          key_version: row.key_version,
        }),
      });
      const payload: WebhookPayload = {
        id: row.notification_id,
        kind: row.kind,
        title: row.title,
        body: row.body,
        data: row.data,
        createdAt: isoOf(row.notification_created_at),
      };
      outcome = await sendWebhook(row.url, secret, JSON.stringify(payload), {
        timeoutMs: this.config.webhooks.timeoutMs,
        allowPrivateNetworks: this.config.webhooks.allowPrivateNetworks,
      });
    } catch (error) {
      this.logger.warn({ err: error, deliveryId: row.id }, 'Could not send a webhook');
      outcome = { delivered: false, httpStatus: null, error: 'Could not send the webhook' };
    }
    await this.settle(row, outcome, false);
  }

  private async settle(row: ClaimedRow, outcome: SendOutcome, final: boolean): Promise<void> {
    if (outcome.delivered) {
      await this.dataSource.query(
        `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(),
           last_http_status = $2, last_error = NULL
         WHERE id = $1`,
        [row.id, outcome.httpStatus],
      );
      return;
    }
    const attempts = row.attempts;
    const { maxAttempts, retryBaseMs } = this.config.webhooks;
    const giveUp = final || attempts >= maxAttempts;
    // Exponential backoff with a little jitter, so receivers coming back are not hit in lockstep.
    const backoffMs = Math.min(
      retryBaseMs * 2 ** (attempts - 1) * (1 + Math.random() * 0.1),
      MAX_BACKOFF_MS,
    );
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = $2, last_http_status = $3, last_error = $4,
         next_attempt_at = now() + make_interval(secs => $5)
       WHERE id = $1`,
      [
        row.id,
        giveUp ? 'failed' : 'pending',
        outcome.httpStatus,
        outcome.error.slice(0, 500),
        giveUp ? 0 : backoffMs / 1000,
      ],
    );
    this.logger.warn(
      { deliveryId: row.id, attempts, httpStatus: outcome.httpStatus, final: giveUp },
      giveUp ? 'Webhook delivery failed for good' : 'Webhook delivery failed; will retry',
    );
  }
}
