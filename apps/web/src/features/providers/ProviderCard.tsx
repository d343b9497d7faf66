import type { ProviderInfo, ProviderKeyResponse, ProviderStatus } from '@keyward/shared';
import type { ReactElement } from 'react';
import { Icon } from '../../components/Icon';
import { ProviderKeyItem } from './ProviderKeyItem';
import { StatusBadge } from './StatusBadge';

interface ProviderCardProps {
  provider: ProviderInfo;
  status: ProviderStatus;
  credentials: ProviderKeyResponse[];
  onAdd: () => void;
  onReplace: (credential: ProviderKeyResponse) => void;
  onDelete: (credential: ProviderKeyResponse) => void;
}

export function ProviderCard({
  provider,
  status,
  credentials,
  onAdd,
  onReplace,
  onDelete,
}: ProviderCardProps): ReactElement {
  const headingId = `provider-${provider.id}`;
  return (
    <section
      className="card provider-card"
      aria-labelledby={headingId}
      data-testid="provider-card"
      data-provider={provider.id}
    >
      <header className="provider-card__header">
        <span className={`provider-logo provider-logo--${provider.id}`} aria-hidden="true">
          {provider.name.charAt(0)}
        </span>
        <div className="provider-card__heading">
          <h2 id={headingId} className="card__title">
            {provider.name}
          </h2>
          <p className="provider-card__caps">{provider.capabilities.join(' · ')}</p>
        </div>
        <StatusBadge status={status} />
      </header>
      {credentials.length > 0 ? (
        <ul className="pkey-list">
          {credentials.map((credential) => (
            <ProviderKeyItem
              key={credential.id}
              credential={credential}
              onReplace={onReplace}
              onDelete={onDelete}
            />
          ))}
        </ul>
      ) : (
        <p className="provider-card__empty">
          No key yet. {provider.models.length} models become available once you add one.
        </p>
      )}
      <footer className="provider-card__footer">
        <button
          type="button"
          className="button button--secondary button--small"
          aria-label={`Add ${provider.name} key`}
          onClick={onAdd}
        >
          <Icon name="plus" size={14} />
          <span>Add key</span>
        </button>
        <a
          href={provider.docsUrl}
          target="_blank"
          rel="noreferrer noopener"
          className="provider-card__docs"
        >
          Get a key
        </a>
      </footer>
    </section>
  );
}
