/** Percentages of a limit at which the owner is told. */
export const ALERT_THRESHOLDS = [50, 80, 100] as const;

/** The thresholds a counter passed when it went from `before` to `after`. */
export function thresholdsCrossed(before: number, after: number, limit: number | null): number[] {
  if (limit === null || limit <= 0 || after <= before) return [];
  return ALERT_THRESHOLDS.filter((percent) => {
    const mark = (limit * percent) / 100;
    return before < mark && after >= mark;
  });
}
