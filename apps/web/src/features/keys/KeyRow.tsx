import type { ApiKeyResponse, ApiKeyStatus } from '@keyward/shared';
import type { ReactElement } from 'react';
import { Icon, type IconName } from '../../components/Icon';
import { formatCount, formatDate, formatDateTime, formatRelative } from '../../app/format';
import { windowLabel } from './key-form';

const STATUS_TONE: Record<ApiKeyStatus, string> = {
  active: 'badge--success',
  expired: 'badge--warning',
  revoked: 'badge--danger',
};

const SHOWN_SCOPES = 2;

export type KeyAction = 'usage' | 'edit' | 'regenerate' | 'revoke';

const ACTIONS: {
  action: KeyAction;
  label: string;
  icon: IconName;
  danger: boolean;
  tooltip?: string;
}[] = [
  { action: 'usage', label: 'Usage of', icon: 'usage', danger: false, tooltip: 'Usage' },
  { action: 'edit', label: 'Edit', icon: 'edit', danger: false },
  { action: 'regenerate', label: 'Regenerate', icon: 'rotate', danger: false },
  { action: 'revoke', label: 'Revoke', icon: 'revoke', danger: true },
];

interface KeyRowProps {
  apiKey: ApiKeyResponse;
  onAction: (action: KeyAction, key: ApiKeyResponse) => void;
}

export function KeyRow({ apiKey, onAction }: KeyRowProps): ReactElement {
  const { name, status } = apiKey;
  const hidden = apiKey.scopes.length - SHOWN_SCOPES;
  const revoked = status === 'revoked';
  return (
    <tr data-testid="key-row" data-key-name={name} data-status={status}>
      <td className="cell-strong" data-label="Name">
        <span className="key-name">
          <span>{name}</span>
          {apiKey.description && (
            <span className="key-name__description">{apiKey.description}</span>
          )}
        </span>
      </td>
      <td data-label="Key">
        <code className="key-mask">{apiKey.maskedKey}</code>
      </td>
      <td data-label="Scopes">
        <span className="scope-chips" title={apiKey.scopes.join(', ')}>
          {apiKey.scopes.slice(0, SHOWN_SCOPES).map((scope) => (
            <span key={scope} className="scope-chip">
              {scope}
            </span>
          ))}
          {hidden > 0 && <span className="scope-chip scope-chip--more">+{hidden}</span>}
        </span>
      </td>
      <td data-label="Status">
        <span className={`badge ${STATUS_TONE[status]}`}>{status}</span>
      </td>
      <td data-label="Created">
        <time dateTime={apiKey.createdAt} title={formatDateTime(apiKey.createdAt)}>
          {formatDate(apiKey.createdAt)}
        </time>
      </td>
      <td data-label="Expires">
        {apiKey.expiresAt ? (
          <time dateTime={apiKey.expiresAt} title={formatDateTime(apiKey.expiresAt)}>
            {formatDate(apiKey.expiresAt)}
          </time>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
      <td data-label="Last used">
        {apiKey.lastUsedAt ? (
          <time dateTime={apiKey.lastUsedAt} title={formatDateTime(apiKey.lastUsedAt)}>
            {formatRelative(apiKey.lastUsedAt)}
          </time>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
      <td data-label="Requests (30 days)" className="cell-number">
        <span
          title={`Limit ${formatCount(apiKey.rateLimit.limit)} ${windowLabel(apiKey.rateLimit.windowSeconds)}`}
        >
          {formatCount(apiKey.requestsLast30Days)}
        </span>
      </td>
      <td className="cell-actions">
        <span className="row-actions">
          {ACTIONS.map(({ action, label, icon, danger, tooltip }) => (
            <button
              key={action}
              type="button"
              className={`button button--small button--icon-only ${danger ? 'button--danger-ghost' : 'button--ghost'}`}
              aria-label={`${label} ${name}`}
              title={tooltip ?? label}
              // A revoked key's history is still worth reading.
              disabled={revoked && action !== 'usage'}
              onClick={() => {
                onAction(action, apiKey);
              }}
            >
              <Icon name={icon} size={16} />
            </button>
          ))}
        </span>
      </td>
    </tr>
  );
}
