import type { ReactElement } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/messages';
import { Alert, Spinner } from '../../components/Feedback';
import { useProviderStatus } from '../providers/hooks';
import { StatusBadge } from '../providers/StatusBadge';

/** One line per catalogue provider with its credential status. */
export function ProvidersCard(): ReactElement {
  const status = useProviderStatus();
  return (
    <section className="card" aria-labelledby="providers-heading">
      <div className="card__header">
        <h2 id="providers-heading" className="card__title">
          Providers
        </h2>
        <Link to="/providers" className="card__link">
          Manage
        </Link>
      </div>
      {status.isPending && <Spinner label="Loading providers…" />}
      {status.isError && (
        <Alert title="Could not load providers">{errorMessage(status.error)}</Alert>
      )}
      {status.data && (
        <ul className="compact-list">
          {status.data.map((entry) => (
            <li key={entry.provider} className="compact-list__item" data-testid="provider-status">
              <span className="cell-strong">{entry.name}</span>
              <StatusBadge status={entry.status} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
