import { DAY_MS } from '@keyward/shared';

/** A UTC calendar day as the rollups store it: YYYY-MM-DD. */
export function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}

/** The last `days` UTC days, today included: the window every "?days=" route reads. */
export interface DayWindow {
  first: string;
  last: string;
  /** Every day of the window, oldest first. */
  days: string[];
}

export function dayWindow(days: number, now: Date): DayWindow {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const list = Array.from({ length: days }, (_, index) =>
    utcDay(new Date(today - (days - 1 - index) * DAY_MS)),
  );
  return { first: list[0] ?? utcDay(now), last: utcDay(now), days: list };
}

/**
 * Fills in a range whose ends are both needed (the export): `to` defaults to now and `from` to
 * `defaultDays` before `to`, so leaving out `from` never makes it come after a `to` in the past.
 * Given ends are kept as they are, for timeRange to check.
 */
export function defaultRange(
  from: string | undefined,
  to: string | undefined,
  now: Date,
  defaultDays: number,
): { from: string; to: string } {
  const end = to ?? now.toISOString();
  const start = from ?? new Date(new Date(end).getTime() - defaultDays * DAY_MS).toISOString();
  return { from: start, to: end };
}
