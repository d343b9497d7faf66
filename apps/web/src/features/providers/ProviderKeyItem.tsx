import type { ProviderKeyResponse } from '@keyward/shared';
import type { ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { formatDateTime, formatRelative } from '../../app/format';
import { useTestProviderKey } from './hooks';
import { StatusBadge, STATUS_LABEL } from './StatusBadge';

interface ProviderKeyItemProps {
  credential: ProviderKeyResponse;
  onReplace: (credential: ProviderKeyResponse) => void;
  onDelete: (credential: ProviderKeyResponse) => void;
}

export function ProviderKeyItem({
  credential,
  onReplace,
  onDelete,
}: ProviderKeyItemProps): ReactElement {
  const test = useTestProviderKey();
  const { name, lastVerifiedAt } = credential;
  return (
    <li className="pkey" data-testid="provider-key" data-key-name={name}>
      <div className="pkey__main">
        <div className="pkey__title">
          <span className="pkey__name">{name}</span>
          <StatusBadge status={credential.status} />
        </div>
        <div className="pkey__meta">
          <code className="key-mask">{credential.maskedKey}</code>
          <span>
            {lastVerifiedAt ? (
              <>
                Checked{' '}
                <time dateTime={lastVerifiedAt} title={formatDateTime(lastVerifiedAt)}>
                  {formatRelative(lastVerifiedAt)}
                </time>
              </>
            ) : (
              'Never checked'
            )}
          </span>
        </div>
        {credential.status !== 'valid' && credential.lastError && (
          <p className="pkey__error">{credential.lastError}</p>
        )}
        <p className="pkey__result" role="status">
          {test.isSuccess &&
            `Test: ${STATUS_LABEL[test.data.status]}${test.data.httpStatus ? ` (HTTP ${test.data.httpStatus})` : ''} in ${test.data.latencyMs} ms. ${test.data.message}`}
          {test.isError && `Test failed: ${errorMessage(test.error)}`}
        </p>
      </div>
      <div className="pkey__actions">
        <button
          type="button"
          className="button button--secondary button--small"
          aria-label={`Test ${name}`}
          disabled={test.isPending}
          onClick={() => {
            test.mutate(credential.id);
          }}
        >
          {test.isPending ? 'Testing…' : 'Test'}
        </button>
        <button
          type="button"
          className="button button--ghost button--small"
          aria-label={`Replace ${name}`}
          onClick={() => {
            onReplace(credential);
          }}
        >
          Replace key
        </button>
        <button
          type="button"
          className="button button--danger-ghost button--small"
          aria-label={`Delete ${name}`}
          onClick={() => {
            onDelete(credential);
          }}
        >
          Delete
        </button>
      </div>
    </li>
  );
}
