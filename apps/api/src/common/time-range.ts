import { DAY_MS } from '@keyward/shared';
import { invalidField } from './app.exception.js';

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
      throw invalidField('from', 'from must be before to');
    }
    if (maxDays !== undefined && end.getTime() - start.getTime() > maxDays * DAY_MS) {
      const message = `from and to may be at most ${maxDays} days apart`;
      throw invalidField('to', message);
    }
  }
  return { from: start, to: end };
}
