import type { ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { Alert, PageHeader, Spinner } from '../../components/Feedback';
import { usePlans } from '../plans/hooks';
import { PlanEditorRow } from './PlanEditorRow';

export function AdminPlans(): ReactElement {
  const plans = usePlans();
  return (
    <>
      <PageHeader
        title="Plans"
        description="Monthly limits per plan, in calendar months (UTC). Leave a limit blank for unlimited."
      />
      {plans.isPending && <Spinner label="Loading plans…" />}
      {plans.isError && <Alert title="Could not load plans">{errorMessage(plans.error)}</Alert>}
      {plans.data && plans.data.length === 0 && <p className="empty-note">No plans are defined.</p>}
      {plans.data && plans.data.length > 0 && (
        <section className="card" aria-label="Plan limits">
          <ul className="plan-editors">
            {plans.data.map((plan) => (
              <PlanEditorRow key={plan.id} plan={plan} />
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
