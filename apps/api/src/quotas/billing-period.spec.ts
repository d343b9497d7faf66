import { describe, expect, it } from '@jest/globals';
import { billingPeriodOf } from './billing-period.js';

const periodAt = (iso: string) => {
  const { month, start, end } = billingPeriodOf(new Date(iso));
  return { month, start: start.toISOString(), end: end.toISOString() };
};

describe('billingPeriodOf', () => {
  it('is the UTC calendar month, whichever month was asked for before', () => {
    expect(periodAt('2026-12-31T23:59:59.999Z')).toEqual({
      month: '2026-12',
      start: '2026-12-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
    });
    // The instant the month ends belongs to the next one, not to the period in hand.
    expect(periodAt('2027-01-01T00:00:00.000Z').month).toBe('2027-01');
    expect(periodAt('2026-12-01T00:00:00.000Z').month).toBe('2026-12');
    expect(periodAt('2026-11-30T23:59:59.999Z').month).toBe('2026-11');
    expect(periodAt('2028-02-29T12:00:00.000Z')).toEqual({
      month: '2028-02',
      start: '2028-02-01T00:00:00.000Z',
      end: '2028-03-01T00:00:00.000Z',
    });
  });
});
