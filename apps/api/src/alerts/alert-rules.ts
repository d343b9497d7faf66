/** A key expiring within this many days is announced, once per key and expiry date. */
export const KEY_EXPIRY_WARNING_DAYS = 7;

/** Failed share of a user's guarded requests in the last hour above which they are told. */
export const ERROR_RATE_PERCENT = 5;

/**
 * Fewer requests than this in the hour never raise an error-rate alert: one failure out of three
 * requests is 33%, but it is not an incident.
 */
export const ERROR_RATE_MIN_REQUESTS = 20;

/** True when `failures` of `requests` is over the threshold, with enough volume to mean it. */
export function errorRateExceeded(requests: number, failures: number): boolean {
  return requests >= ERROR_RATE_MIN_REQUESTS && failures * 100 > ERROR_RATE_PERCENT * requests;
}

/** The alert period of the error-rate rule: one alert per user per UTC day. */
export const errorRatePeriod = (now: Date): string => now.toISOString().slice(0, 10);
