import type { UsageTotals } from '@keyward/shared';
import type { ReactElement } from 'react';
import { formatCount } from '../../app/format';
import { formatMicros, formatRate } from './usage-format';

/** The period's headline numbers. */
export function TotalsCard({ totals, days }: { totals: UsageTotals; days: number }): ReactElement {
  const tokens = totals.inputTokens + totals.outputTokens;
  const items = [
    { label: 'Requests', value: formatCount(totals.requests), hint: `last ${days} days` },
    {
      label: 'Success rate',
      value: totals.requests === 0 ? '—' : formatRate(totals.successRate),
      hint: `${formatCount(totals.successes)} succeeded`,
    },
    {
      label: 'Tokens',
      value: formatCount(tokens),
      hint: `${formatCount(totals.inputTokens)} in · ${formatCount(totals.outputTokens)} out`,
    },
    {
      label: 'Cost',
      value: formatMicros(totals.costMicros),
      hint: `avg latency ${formatCount(Math.round(totals.averageLatencyMs))} ms`,
    },
  ];
  return (
    <section aria-label="Totals for the period" className="kpis">
      {items.map((item) => (
        <div key={item.label} className="kpi card" data-testid={`kpi-${item.label}`}>
          <p className="kpi__label">{item.label}</p>
          <p className="kpi__value">{item.value}</p>
          <p className="kpi__hint">{item.hint}</p>
        </div>
      ))}
    </section>
  );
}
