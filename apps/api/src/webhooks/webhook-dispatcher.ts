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
import { claimDueDeliveries, type ClaimedDelivery } from './delivery-claims.js';
import { openWebhookSecret } from './webhook-secret.js';
import { sendWebhook, type SendOutcome } from './webhook-sender.js';
import { affectedBy, isoOf, sealedFrom } from './webhooks.service.js';

/** Deliveries a replica sends at once. */
const MAX_SENDING = 20;
/**
 * Deliveries of one user a replica sends at once: a receiver that never answers holds only its
 * owner's slots until the timeout, and everyone else's deliveries go on meanwhile.
 */
const MAX_SENDING_PER_USER = 2;
/** No retry waits longer than a day. */
const MAX_BACKOFF_MS = 24 * 60 * 60 * 1000;

/**
 * Sends the webhook outbox. Rows are claimed and leased in one statement (`claimDueDeliveries`),
 * so replicas never send the same delivery twice, and a replica that dies mid-send only delays it
 * until the lease ends. A poll does not wait for the sends it starts: it claims what the free
 * slots allow, at most MAX_SENDING_PER_USER per user, so one slow receiver cannot hold up other
 * users' deliveries.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly job: PeriodicJob;
  /** Sends under way on this replica, and how many of them each user has. */
  private readonly sending = new Set<Promise<void>>();
  private readonly sendingFor = new Map<string, number>();

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
    // A send is bounded by its timeout; one cut short would be sent again after its lease.
    await Promise.allSettled([...this.sending]);
  }

  /** Claims due deliveries for the free slots and starts sending them; returns how many. */
  private async dispatchDue(): Promise<number> {
    const free = MAX_SENDING - this.sending.size;
    if (free <= 0) return 0;
    const { timeoutMs } = this.config.webhooks;
    const leaseSeconds = Math.ceil(timeoutMs / 1000) + 30;
    const claimed = await claimDueDeliveries(this.dataSource, {
      free,
      leaseSeconds,
      perUser: MAX_SENDING_PER_USER,
      sendingFor: this.sendingFor,
    });
    for (const row of claimed) this.start(row);
    return claimed.length;
  }

  private start(row: ClaimedDelivery): void {
    this.sendingFor.set(row.user_id, (this.sendingFor.get(row.user_id) ?? 0) + 1);
    const send = this.deliver(row)
      .catch((error: unknown) => {
        // The lease runs out and the delivery is claimed again.
        this.logger.warn({ err: error, deliveryId: row.id }, 'Could not settle a webhook delivery');
      })
      .finally(() => {
        this.sending.delete(send);
        const left = (this.sendingFor.get(row.user_id) ?? 1) - 1;
        if (left > 0) this.sendingFor.set(row.user_id, left);
        else this.sendingFor.delete(row.user_id);
      });
    this.sending.add(send);
  }

  private async deliver(row: ClaimedDelivery): Promise<void> {
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

  /**
   * Records a send's outcome, only on the claim it was made under: not claimed again since (which
   * counts another attempt), and still pending. A webhook removed during the send has failed its
   * deliveries, which must not come back to go to a webhook set later, and a settle late past its
   * lease must not undo what the replica that claimed the delivery again recorded. A send the
   * receiver took is recorded as delivered all the same: on this claim, only the removal can have
   * failed it, and the receiver has it.
   */
  private async settle(row: ClaimedDelivery, outcome: SendOutcome, final: boolean): Promise<void> {
    const onThisClaim = `id = $1 AND attempts = $2 AND status = 'pending'`;
    if (outcome.delivered) {
      await this.dataSource.query(
        `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(),
           last_http_status = $3, last_error = NULL
         WHERE id = $1 AND attempts = $2 AND status IN ('pending', 'failed')`,
        [row.id, row.attempts, outcome.httpStatus],
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
    const settled: unknown = await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = $3, last_http_status = $4, last_error = $5,
         next_attempt_at = now() + make_interval(secs => $6)
       WHERE ${onThisClaim}`,
      [
        row.id,
        row.attempts,
        giveUp ? 'failed' : 'pending',
        outcome.httpStatus,
        outcome.error.slice(0, 500),
        giveUp ? 0 : backoffMs / 1000,
      ],
    );
    if (affectedBy(settled) === 0) {
      this.logger.debug({ deliveryId: row.id }, 'Webhook delivery settled elsewhere meanwhile');
      return;
    }
    this.logger.warn(
      { deliveryId: row.id, attempts, httpStatus: outcome.httpStatus, final: giveUp },
      giveUp ? 'Webhook delivery failed for good' : 'Webhook delivery failed; will retry',
    );
  }
}
