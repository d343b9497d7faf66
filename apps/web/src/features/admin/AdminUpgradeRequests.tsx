import { useState, type ReactElement } from 'react';
import { formatDate, formatDateTime } from '../../app/format';
import { errorMessage } from '../../api/messages';
import { Alert, PageHeader, Spinner } from '../../components/Feedback';
import { planName } from '../plans/plan-format';
import {
  useAdminPlans,
  useDecideUpgrade,
  useUpgradeRequests,
  type UpgradeStatus,
} from './plan-hooks';

const FILTERS: { value: UpgradeStatus | ''; label: string }[] = [
  { value: 'pending', label: 'Pending' },
  { value: 'approved', label: 'Approved' },
  { value: 'declined', label: 'Declined' },
  // Closed by an admin setting the user's plan on the Users page before deciding.
  { value: 'superseded', label: 'Superseded' },
  { value: '', label: 'All' },
];

const TONE: Record<UpgradeStatus, string> = {
  pending: 'badge--info',
  approved: 'badge--success',
  declined: 'badge--neutral',
  superseded: 'badge--neutral',
};

export function AdminUpgradeRequests(): ReactElement {
  const [status, setStatus] = useState<UpgradeStatus | ''>('pending');
  const requests = useUpgradeRequests(status || undefined);
  // Every plan, retired ones too: requests for a plan since retired still name it.
  const plans = useAdminPlans();
  const decide = useDecideUpgrade();
  const deciding = decide.isPending ? decide.variables.id : null;

  return (
    <>
      <PageHeader
        title="Upgrade requests"
        description="Users asking for another plan. Approving moves them at once; no payment is taken."
      />
      <div className="segmented" role="group" aria-label="Show requests">
        {FILTERS.map((filter) => (
          <button
            key={filter.label}
            type="button"
            className="segmented__option"
            aria-pressed={status === filter.value}
            onClick={() => {
              setStatus(filter.value);
            }}
          >
            {filter.label}
          </button>
        ))}
      </div>
      {decide.isError && <Alert>{errorMessage(decide.error)}</Alert>}
      {requests.isPending && <Spinner label="Loading requests…" />}
      {requests.isError && (
        <Alert title="Could not load requests">{errorMessage(requests.error)}</Alert>
      )}
      {requests.data && requests.data.length === 0 && (
        <section className="card">
          <p className="empty-note">
            {status === 'pending' ? 'No request is waiting for a decision.' : 'No requests.'}
          </p>
        </section>
      )}
      {requests.data && requests.data.length > 0 && (
        <ul className="upgrade-list">
          {requests.data.map((request) => (
            <li
              key={request.id}
              className="card upgrade-request"
              data-testid="upgrade-request"
              data-email={request.userEmail}
            >
              <div className="upgrade-request__text">
                <p className="upgrade-request__who">
                  <strong>{request.userEmail}</strong>{' '}
                  <span className={`badge ${TONE[request.status]}`}>{request.status}</span>
                </p>
                <p className="upgrade-request__plans">
                  {planName(plans.data, request.fromPlanId)} →{' '}
                  <strong>{planName(plans.data, request.toPlanId)}</strong>
                  <span className="muted">
                    {' '}
                    · asked{' '}
                    <time dateTime={request.createdAt} title={formatDateTime(request.createdAt)}>
                      {formatDate(request.createdAt)}
                    </time>
                  </span>
                </p>
                {request.message && (
                  <blockquote className="upgrade-request__message">{request.message}</blockquote>
                )}
              </div>
              {request.status === 'pending' && (
                <div className="upgrade-request__actions">
                  <button
                    type="button"
                    className="button button--primary button--small"
                    disabled={deciding !== null}
                    aria-label={`Approve ${request.userEmail}`}
                    onClick={() => {
                      decide.mutate({ id: request.id, status: 'approved' });
                    }}
                  >
                    Approve
                  </button>
                  <button
                    type="button"
                    className="button button--secondary button--small"
                    disabled={deciding !== null}
                    aria-label={`Decline ${request.userEmail}`}
                    onClick={() => {
                      decide.mutate({ id: request.id, status: 'declined' });
                    }}
                  >
                    Decline
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
