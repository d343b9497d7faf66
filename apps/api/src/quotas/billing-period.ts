/** Limits and budgets run per calendar month in UTC. */
export interface BillingPeriod {
  /** YYYY-MM */
  readonly month: string;
  readonly start: Date;
  readonly end: Date;
}

/** The period last asked for: a generation asks several times, nearly always for the same. */
let lastPeriod: BillingPeriod | undefined;

export function billingPeriodOf(now: Date): BillingPeriod {
  const ms = now.getTime();
  if (lastPeriod && ms >= lastPeriod.start.getTime() && ms < lastPeriod.end.getTime()) {
    return lastPeriod;
  }
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  lastPeriod = { month: start.toISOString().slice(0, 7), start, end };
  return lastPeriod;
}
