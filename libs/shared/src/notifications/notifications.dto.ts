import { IsIn } from 'class-validator';
import { Optional } from '../common/optional.js';
import { PageQuery } from '../common/pagination.js';

/**
 * Every kind of notification, snake_case, with the label the console shows. The same kinds reach
 * webhooks (`WebhookPayload.kind`); `webhook_test` is only ever sent by the webhook test button.
 */
export const NOTIFICATION_KINDS = {
  quota_threshold: 'Plan limit',
  budget_threshold: 'Key budget',
  key_expiring: 'Key expiring',
  error_rate: 'Error rate',
  credential_invalid: 'Provider key invalid',
  key_leaked: 'Key leaked',
  plan_upgrade_decided: 'Plan request decided',
  webhook_test: 'Webhook test',
} as const;

export type NotificationKind = keyof typeof NOTIFICATION_KINDS;
export const NOTIFICATION_KIND_NAMES = Object.keys(NOTIFICATION_KINDS) as NotificationKind[];

export class ListNotificationsQuery extends PageQuery {
  @Optional()
  @IsIn(['true', 'false'])
  unread?: 'true' | 'false';
}

export interface NotificationResponse {
  id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  readAt: string | null;
  createdAt: string;
}
