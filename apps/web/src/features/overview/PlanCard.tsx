import type { ReactElement } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/messages';
import { Alert, Spinner } from '../../components/Feedback';
import { useUsageSummary } from '../usage/hooks';
import { PlanUsageCard } from '../usage/PlanUsageCard';

/** This month against the plan, with the way to more. */
export function PlanCard(): ReactElement {
  const summary = useUsageSummary(30);
  if (summary.data) {
    return (
      <PlanUsageCard
        month={summary.data.month}
        action={
          <span className="link-row">
            <Link to="/usage">Usage details</Link>
            <Link to="/settings#plan">Change plan</Link>
          </span>
        }
      />
    );
  }
  return (
    <section className="card" aria-label="This month">
      <h2 className="card__title">This month</h2>
      {summary.isPending && <Spinner label="Loading this month's usage…" />}
      {summary.isError && <Alert title="Could not load usage">{errorMessage(summary.error)}</Alert>}
    </section>
  );
}
