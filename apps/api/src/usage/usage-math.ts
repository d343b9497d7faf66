import type { LimitUse, UsageTotals } from '@keyward/shared';

/** Sums over rollup rows, as the database returns them (bigints as strings). */
export interface TotalsRow {
  requests: string | number | null;
  successes: string | number | null;
  input_tokens: string | number | null;
  output_tokens: string | number | null;
  cost_micros: string | number | null;
  latency_ms_total: string | number | null;
}

/** The SELECT list that produces a TotalsRow from `usage_daily`. */
export const TOTALS_SQL = `COALESCE(sum(requests), 0) AS requests,
  COALESCE(sum(successes), 0) AS successes,
  COALESCE(sum(input_tokens), 0) AS input_tokens,
  COALESCE(sum(output_tokens), 0) AS output_tokens,
  COALESCE(sum(cost_micros), 0) AS cost_micros,
  COALESCE(sum(latency_ms_total), 0) AS latency_ms_total`;

export const ZERO_TOTALS: UsageTotals = {
  requests: 0,
  successes: 0,
  successRate: 1,
  inputTokens: 0,
  outputTokens: 0,
  costMicros: 0,
  averageLatencyMs: 0,
};

export function totalsOf(row: TotalsRow | undefined): UsageTotals {
  if (!row) return { ...ZERO_TOTALS };
  const requests = Number(row.requests ?? 0);
  const successes = Number(row.successes ?? 0);
  return {
    requests,
    successes,
    // No requests means nothing failed.
    successRate: requests === 0 ? 1 : successes / requests,
    inputTokens: Number(row.input_tokens ?? 0),
    outputTokens: Number(row.output_tokens ?? 0),
    costMicros: Number(row.cost_micros ?? 0),
    averageLatencyMs: requests === 0 ? 0 : Math.round(Number(row.latency_ms_total ?? 0) / requests),
  };
}

/** How much of a limit is used; a zero limit is used up from the start. */
export function limitUse(used: number, limit: number | null): LimitUse {
  if (limit === null) return { used, limit, percent: null };
  if (limit <= 0) return { used, limit, percent: 100 };
  return { used, limit, percent: Math.round((used / limit) * 1000) / 10 };
}
