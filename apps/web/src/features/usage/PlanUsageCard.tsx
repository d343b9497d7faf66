import type { PlanUse } from '@keyward/shared';
import type { ReactElement, ReactNode } from 'react';
import { formatDate } from '../../app/format';
import { ProgressBar } from '../../components/ProgressBar';
import { limitText } from './usage-format';
import './plan-usage.css';

/** This calendar month against the plan's limits; shared by Usage and Overview. */
export function PlanUsageCard({
  month,
  action,
}: {
  month: PlanUse;
  action?: ReactNode;
}): ReactElement {
  return (
    <section className="card plan-usage" aria-labelledby="plan-usage-heading">
      <div className="card__header">
        <h2 id="plan-usage-heading" className="card__title">
          This month
        </h2>
        <span className="badge badge--neutral" data-testid="plan-name">
          {month.planName} plan
        </span>
      </div>
      <ProgressBar
        label="Requests"
        percent={month.requests.percent}
        valueText={limitText(month.requests, 'requests')}
      />
      <ProgressBar
        label="Spend"
        percent={month.costMicros.percent}
        valueText={limitText(month.costMicros, 'cost')}
      />
      <p className="plan-usage__footer">
        <span className="muted">Resets {formatDate(month.resetsAt)}</span>
        {action}
      </p>
    </section>
  );
}
