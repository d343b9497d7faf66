import type { ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { Alert, PageHeader, Spinner } from '../../components/Feedback';
import { useAdminPlans } from './plan-hooks';
import { PlanEditorRow } from './PlanEditorRow';
import { isRetired, RetiredPlanRow } from './RetiredPlanRow';

export function AdminPlans(): ReactElement {
  const plans = useAdminPlans();
  const open = plans.data?.filter((plan) => !isRetired(plan)) ?? [];
  const retired = plans.data?.filter(isRetired) ?? [];
  return (
    <>
      <PageHeader
        title="Plans"
        description="Monthly limits per plan, in calendar months (UTC). Leave a limit blank for unlimited. Retire a plan no one is on to stop offering it."
      />
      {plans.isPending && <Spinner label="Loading plans…" />}
      {plans.isError && <Alert title="Could not load plans">{errorMessage(plans.error)}</Alert>}
      {plans.data && plans.data.length === 0 && <p className="empty-note">No plans are defined.</p>}
      {plans.data && plans.data.length > 0 && (
        <div className="grid">
          <section className="card" aria-label="Plan limits">
            {open.length === 0 && <p className="empty-note">Every plan is retired.</p>}
            <ul className="plan-editors">
              {open.map((plan) => (
                <PlanEditorRow key={plan.id} plan={plan} />
              ))}
            </ul>
          </section>
          {retired.length > 0 && (
            <section className="card" aria-labelledby="retired-plans-heading">
              <h2 id="retired-plans-heading" className="card__title">
                Retired plans
              </h2>
              <p className="retired-plans__note muted">
                No one can ask for these or be moved to them; past requests and audit entries still
                name them.
              </p>
              <ul className="retired-plans">
                {retired.map((plan) => (
                  <RetiredPlanRow key={plan.id} plan={plan} />
                ))}
              </ul>
            </section>
          )}
        </div>
      )}
    </>
  );
}
