import { IsString, IsUrl, MaxLength } from 'class-validator';
import { Trimmed } from '../common/trimmed.js';

/** The header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-keyward-signature';

export class SetWebhookRequest {
  @Trimmed()
  @IsString()
  @MaxLength(2000)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'url must be an http or https URL' },
  )
  url!: string;
}

export interface WebhookResponse {
  url: string;
  createdAt: string;
  updatedAt: string;
  /** Recent deliveries, newest first. */
  deliveries: WebhookDeliveryResponse[];
}

/** Returned once, when the webhook is set or its secret rotated: the signing secret. */
export interface WebhookWithSecretResponse extends WebhookResponse {
  secret: string;
}

export interface WebhookDeliveryResponse {
  id: string;
  notificationId: string;
  kind: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastHttpStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** The JSON body POSTed to a webhook. */
export interface WebhookPayload {
  id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  createdAt: string;
}

/** The answer of `POST /api/settings/webhook/test`: one signed `webhook_test` POST, not retried. */
export interface WebhookTestResponse {
  delivered: boolean;
  /** The receiver's HTTP status, when it answered. */
  httpStatus: number | null;
  /** Why it was not delivered, for people; null when delivered. */
  error: string | null;
}
