import { NOTIFICATION_KINDS, type WebhookDeliveryResponse } from '@keyward/shared';
import type { ReactElement } from 'react';
import { formatDateTime, formatRelative } from '../../app/format';

const STATUS_TONE: Record<WebhookDeliveryResponse['status'], string> = {
  pending: 'badge--info',
  delivered: 'badge--success',
  failed: 'badge--danger',
};

function kindLabel(kind: string): string {
  return kind in NOTIFICATION_KINDS
    ? NOTIFICATION_KINDS[kind as keyof typeof NOTIFICATION_KINDS]
    : kind;
}

/** The most recent deliveries, so a failing receiver is noticed here rather than by silence. */
export function DeliveryList({
  deliveries,
}: {
  deliveries: readonly WebhookDeliveryResponse[];
}): ReactElement {
  if (deliveries.length === 0) {
    return <p className="empty-note webhook-deliveries">No deliveries yet.</p>;
  }
  return (
    <div className="webhook-deliveries">
      <h3 className="webhook-deliveries__title">Recent deliveries</h3>
      <ul className="compact-list">
        {deliveries.slice(0, 5).map((delivery) => (
          <li key={delivery.id} className="compact-list__item" data-testid="webhook-delivery">
            <span>
              {kindLabel(delivery.kind)}{' '}
              <time
                className="muted"
                dateTime={delivery.createdAt}
                title={formatDateTime(delivery.createdAt)}
              >
                {formatRelative(delivery.createdAt)}
              </time>
            </span>
            <span
              className={`badge ${STATUS_TONE[delivery.status]}`}
              title={delivery.lastError ?? undefined}
            >
              {delivery.status}
              {delivery.lastHttpStatus !== null ? ` · ${delivery.lastHttpStatus}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
