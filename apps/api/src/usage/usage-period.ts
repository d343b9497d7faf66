import { AppException } from '../common/app.exception.js';

const DAY_MS = 86_400_000;

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

/** A time range given as two ISO times: `from` inclusive, `to` exclusive. */
export interface TimeRange {
  from: Date | null;
  to: Date | null;
}

/**
 * Checks a from/to pair. Both are optional unless the caller says otherwise; when both are given
 * `from` must come first, and `maxDays` bounds how much one request may cover.
 */
export function timeRange(
  from: string | undefined,
  to: string | undefined,
  maxDays?: number,
): TimeRange {
  const start = from === undefined ? null : new Date(from);
  const end = to === undefined ? null : new Date(to);
  if (start && end) {
    if (start.getTime() >= end.getTime()) {
      throw new AppException(400, 'validation_failed', 'from must be before to', [
        { field: 'from', messages: ['from must be before to'] },
      ]);
    }
    if (maxDays !== undefined && end.getTime() - start.getTime() > maxDays * DAY_MS) {
      const message = `from and to may be at most ${maxDays} days apart`;
      throw new AppException(400, 'validation_failed', message, [
        { field: 'to', messages: [message] },
      ]);
    }
  }
  return { from: start, to: end };
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
