import { useState, type ReactElement } from 'react';
import { Link } from 'react-router';
import { DAY_MS } from '@keyward/shared';
import { formatDate, formatRelative } from '../../app/format';
import { errorMessage } from '../../api/messages';
import { Alert, Spinner } from '../../components/Feedback';
import { useApiKeys } from '../keys/hooks';

/** How far ahead "expiring soon" looks. */
const SOON_DAYS = 14;

/** Active keys whose expiry falls within the next two weeks, soonest first. */
export function ExpiringKeysCard(): ReactElement {
  const keys = useApiKeys({ page: 1, pageSize: 100, status: 'active' });
  // Fixed when the card mounts: "soon" need not move while the page is open.
  const [horizon] = useState(() => Date.now() + SOON_DAYS * DAY_MS);
  const expiring = (keys.data?.items ?? [])
    .filter((key) => key.expiresAt !== null && new Date(key.expiresAt).getTime() <= horizon)
    .sort((a, b) => (a.expiresAt ?? '').localeCompare(b.expiresAt ?? ''));

  return (
    <section className="card" aria-labelledby="expiring-heading">
      <div className="card__header">
        <h2 id="expiring-heading" className="card__title">
          Keys expiring soon
        </h2>
        <Link to="/keys" className="card__link">
          All keys
        </Link>
      </div>
      {keys.isPending && <Spinner label="Loading keys…" />}
      {keys.isError && <Alert title="Could not load keys">{errorMessage(keys.error)}</Alert>}
      {keys.data && expiring.length === 0 && (
        <p className="empty-note">No key expires in the next {SOON_DAYS} days.</p>
      )}
      {expiring.length > 0 && (
        <ul className="compact-list">
          {expiring.map((key) => (
            <li key={key.id} className="compact-list__item" data-testid="expiring-key">
              <span className="cell-strong">{key.name}</span>
              <span className="badge badge--warning" title={formatDate(key.expiresAt ?? '')}>
                {formatRelative(key.expiresAt ?? '')}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
