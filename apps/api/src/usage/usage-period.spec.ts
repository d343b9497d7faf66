import { describe, expect, it } from '@jest/globals';
import { dayWindow, defaultRange, utcDay } from './usage-period.js';

describe('dayWindow', () => {
  it('covers the last N UTC days, today included, oldest first', () => {
    const window = dayWindow(7, new Date('2026-03-03T23:59:59.999Z'));
    expect(window.days).toEqual([
      '2026-02-25',
      '2026-02-26',
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
    ]);
    expect(window.first).toBe('2026-02-25');
    expect(window.last).toBe('2026-03-03');
  });

  it('uses UTC days whatever the time of day', () => {
    expect(dayWindow(1, new Date('2026-01-01T00:00:00.000Z')).days).toEqual(['2026-01-01']);
    expect(dayWindow(2, new Date('2024-03-01T12:00:00.000Z')).days).toEqual([
      '2024-02-29',
      '2024-03-01',
    ]);
  });

  it('spans a year boundary', () => {
    const window = dayWindow(90, new Date('2026-01-15T08:00:00.000Z'));
    expect(window.days).toHaveLength(90);
    expect(window.first).toBe('2025-10-18');
    expect(new Set(window.days).size).toBe(90);
  });
});

describe('utcDay', () => {
  it('is the UTC calendar day', () => {
    expect(utcDay(new Date('2026-05-31T23:30:00.000-02:00'))).toBe('2026-06-01');
  });
});

describe('defaultRange', () => {
  const now = new Date('2026-03-10T12:00:00.000Z');

  it('ends now and starts the given days before when both ends are left out', () => {
    expect(defaultRange(undefined, undefined, now, 30)).toEqual({
      from: '2026-02-08T12:00:00.000Z',
      to: '2026-03-10T12:00:00.000Z',
    });
  });

  it('counts a missing start back from a given end, and keeps given ends as they are', () => {
    expect(defaultRange(undefined, '2025-06-01T00:00:00Z', now, 365).from).toBe(
      '2024-06-01T00:00:00.000Z',
    );
    expect(defaultRange('2026-03-01T00:00:00Z', undefined, now, 30)).toEqual({
      from: '2026-03-01T00:00:00Z',
      to: '2026-03-10T12:00:00.000Z',
    });
  });
});
