import { describe, expect, it } from '@jest/globals';
import { errorRateExceeded, errorRatePeriod } from './alert-rules.js';

describe('alert rules', () => {
  it('fires on an error rate over 5% only with at least 20 requests', () => {
    expect(errorRateExceeded(20, 2)).toBe(true);
    expect(errorRateExceeded(20, 1)).toBe(false); // exactly 5% is not over it
    expect(errorRateExceeded(100, 6)).toBe(true);
    expect(errorRateExceeded(100, 5)).toBe(false);
    expect(errorRateExceeded(19, 19)).toBe(false);
    expect(errorRateExceeded(0, 0)).toBe(false);
  });

  it('counts error-rate alerts per UTC day', () => {
    expect(errorRatePeriod(new Date('2026-12-01T23:59:59Z'))).toBe('2026-12-01');
    expect(errorRatePeriod(new Date('2026-12-02T00:00:00Z'))).toBe('2026-12-02');
  });
});
