/** Limits and budgets run per calendar month in UTC. */
export interface BillingPeriod {
  /** YYYY-MM */
  month: string;
  start: Date;
  end: Date;
}

export function billingPeriodOf(now: Date): BillingPeriod {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { month: start.toISOString().slice(0, 7), start, end };
}
