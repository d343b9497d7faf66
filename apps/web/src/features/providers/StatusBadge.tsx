import type { ProviderStatus } from '@keyward/shared';
import type { ReactElement } from 'react';

export const STATUS_LABEL: Record<ProviderStatus, string> = {
  valid: 'Valid',
  invalid: 'Invalid',
  not_configured: 'Not configured',
  unverified: 'Unverified',
  rate_limited: 'Rate limited',
  insufficient_quota: 'No quota',
  error: 'Error',
};

export const STATUS_TONE: Record<ProviderStatus, string> = {
  valid: 'badge--success',
  invalid: 'badge--danger',
  not_configured: 'badge--neutral',
  unverified: 'badge--info',
  rate_limited: 'badge--warning',
  insufficient_quota: 'badge--warning',
  error: 'badge--danger',
};

export function StatusBadge({ status }: { status: ProviderStatus }): ReactElement {
  return (
    <span className={`badge badge--status ${STATUS_TONE[status]}`} data-status={status}>
      {STATUS_LABEL[status]}
    </span>
  );
}
