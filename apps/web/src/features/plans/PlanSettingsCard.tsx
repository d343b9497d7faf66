import type { UpgradeStatus } from '@keyward/shared';
import type { ReactElement } from 'react';
import { formatDate } from '../../app/format';
import { errorMessage } from '../../api/messages';
import { Alert, Spinner } from '../../components/Feedback';
import { useCurrentUser } from '../auth/auth-context';
import { useMe } from '../auth/hooks';
import { useOwnUpgradeRequests, usePlans } from './hooks';
import { planLimitsText, planName } from './plan-format';
import { UpgradeRequestForm } from './UpgradeRequestForm';

/** How the last request that is no longer pending ended, as the plan card says it. */
const OUTCOME: Record<Exclude<UpgradeStatus, 'pending'>, string> = {
  approved: 'was approved',
  declined: 'was declined',
  superseded: 'was closed when an admin set your plan',
};

/** The plan whose limits apply now, and the way to ask for another. */
export function PlanSettingsCard(): ReactElement {
  const sessionUser = useCurrentUser();
  // /me after a decision: an approved request changes the plan without a new sign-in.
  const me = useMe();
  const user = me.data?.user ?? sessionUser;
  const plans = usePlans();
  const requests = useOwnUpgradeRequests();
  const current = plans.data?.find((plan) => plan.id === user.planId);
  const pending = requests.data?.find((request) => request.status === 'pending');
  const lastDecided = requests.data?.find((request) => request.status !== 'pending');
  const outcome =
    lastDecided && lastDecided.status !== 'pending' ? OUTCOME[lastDecided.status] : '';

  return (
    <section className="card settings-card" aria-labelledby="plan-heading" id="plan">
      <header className="settings-card__header">
        <h2 id="plan-heading" className="card__title">
          Plan
        </h2>
        <p className="settings-card__description">
          Monthly limits for every key you own. Changing plan needs an admin&apos;s approval.
        </p>
      </header>
      {(plans.isPending || requests.isPending) && <Spinner label="Loading plans…" />}
      {(plans.isError || requests.isError) && (
        <Alert title="Could not load plans">{errorMessage(plans.error ?? requests.error)}</Alert>
      )}
      {plans.data && requests.data && (
        <>
          <div className="current-plan" data-testid="current-plan">
            <span className="current-plan__name">{current?.name ?? user.planId}</span>
            {current && <span className="muted">{planLimitsText(current)}</span>}
          </div>
          {lastDecided && !pending && lastDecided.toPlanId !== user.planId && (
            <Alert tone="info">
              Your request for {planName(plans.data, lastDecided.toPlanId)} {outcome}
              {lastDecided.decidedAt ? ` on ${formatDate(lastDecided.decidedAt)}` : ''}.
            </Alert>
          )}
          {pending ? (
            <Alert tone="info" title="Upgrade requested">
              <span data-testid="pending-upgrade">
                You asked for <strong>{planName(plans.data, pending.toPlanId)}</strong> on{' '}
                {formatDate(pending.createdAt)}. An admin will decide soon.
              </span>
            </Alert>
          ) : (
            <UpgradeRequestForm plans={plans.data} currentPlanId={user.planId} />
          )}
        </>
      )}
    </section>
  );
}
