import { MICROS_PER_USD, type LimitUse, type UsageDailyPoint, DAY_MS } from '@keyward/shared';
import type { BarDatum } from '../../components/BarChart';
import { formatCount } from '../../app/format';

const dollars = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const smallDollars = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 6,
});

/**
 * Micro-dollars as dollars: "$12.40", and sub-cent amounts with the digits that matter
 * ("$0.000042") so a handful of cheap calls does not read as "$0.00".
 */
export function formatMicros(micros: number): string {
  const usd = micros / MICROS_PER_USD;
  if (micros > 0 && usd < 0.01) return smallDollars.format(usd);
  return dollars.format(usd);
}

/** 0..1 as "99.5%"; one decimal only when it says something. */
export function formatRate(rate: number): string {
  const percent = Math.round(rate * 1000) / 10;
  return `${percent}%`;
}

/** "812 of 1,000 requests", "$1.20 of $5.00", "14 requests (unlimited)". */
export function limitText(use: LimitUse, kind: 'requests' | 'cost'): string {
  const show = (value: number): string =>
    kind === 'cost' ? formatMicros(value) : formatCount(value);
  const unit = kind === 'requests' ? ' requests' : '';
  if (use.limit === null) return `${show(use.used)}${unit} (unlimited)`;
  return `${show(use.used)} of ${show(use.limit)}${unit}`;
}

const dayLabel = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});

/** Daily points as chart bars: "Nov 3", "12 requests". Days are UTC, as the API counts them. */
export function dailyBars(points: readonly UsageDailyPoint[]): BarDatum[] {
  return points.map((point) => ({
    label: dayLabel.format(new Date(`${point.day}T00:00:00Z`)),
    value: point.requests,
    valueText: `${formatCount(point.requests)} ${point.requests === 1 ? 'request' : 'requests'}`,
  }));
}

/** The period's bounds for an export: the last `days` days up to now. */
export function periodBounds(days: number, now = new Date()): { from: string; to: string } {
  const from = new Date(now.getTime() - days * DAY_MS);
  return { from: from.toISOString(), to: now.toISOString() };
}
