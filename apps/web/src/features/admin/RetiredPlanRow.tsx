import type { PlanResponse } from '@keyward/shared';
import type { ReactElement } from 'react';
import { formatDate, formatDateTime } from '../../app/format';
import { errorMessage } from '../../api/messages';
import { Alert } from '../../components/Feedback';
import { planLimitsText } from '../plans/plan-format';
import { useSavePlan } from './plan-hooks';

export type RetiredPlan = PlanResponse & { retiredAt: string };

export function isRetired(plan: PlanResponse): plan is RetiredPlan {
  return plan.retiredAt !== null;
}

/** A retired plan, kept for the requests and audit entries that name it; saving it opens it. */
export function RetiredPlanRow({ plan }: { plan: RetiredPlan }): ReactElement {
  const save = useSavePlan();
  return (
    <li className="retired-plan" data-plan={plan.id} aria-label={`Retired plan ${plan.name}`}>
      <div className="retired-plan__text">
        <p className="retired-plan__name">
          <strong>{plan.name}</strong> <span className="mono muted">{plan.id}</span>
        </p>
        <p className="retired-plan__details muted">
          {planLimitsText(plan)} · retired{' '}
          <time dateTime={plan.retiredAt} title={formatDateTime(plan.retiredAt)}>
            {formatDate(plan.retiredAt)}
          </time>
        </p>
      </div>
      <button
        type="button"
        className="button button--secondary button--small"
        disabled={save.isPending}
        onClick={() => {
          save.mutate({
            id: plan.id,
            input: {
              name: plan.name,
              monthlyRequestLimit: plan.monthlyRequestLimit,
              monthlyCostLimitMicros: plan.monthlyCostLimitMicros,
              sortOrder: plan.sortOrder,
            },
          });
        }}
      >
        {save.isPending ? 'Opening…' : 'Open again'}
      </button>
      {save.isError && (
        <div className="retired-plan__error">
          <Alert title={`Could not open ${plan.name} again`}>{errorMessage(save.error)}</Alert>
        </div>
      )}
    </li>
  );
}
