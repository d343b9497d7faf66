import { describe, expect, it } from '@jest/globals';
import { AppException } from './app.exception.js';
import { timeRange } from './time-range.js';

describe('timeRange', () => {
  const codeOf = (run: () => unknown): string | undefined => {
    try {
      run();
    } catch (error) {
      return error instanceof AppException ? `${error.statusCode} ${error.code}` : 'other';
    }
    return undefined;
  };

  it('accepts open ends and an ordered pair', () => {
    expect(timeRange(undefined, undefined)).toEqual({ from: null, to: null });
    expect(timeRange('2026-01-01T00:00:00Z', undefined).from?.toISOString()).toBe(
      '2026-01-01T00:00:00.000Z',
    );
    expect(timeRange('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z').to?.toISOString()).toBe(
      '2026-01-02T00:00:00.000Z',
    );
  });

  it('refuses from at or after to', () => {
    expect(codeOf(() => timeRange('2026-01-02', '2026-01-01'))).toBe('400 validation_failed');
    expect(codeOf(() => timeRange('2026-01-01', '2026-01-01'))).toBe('400 validation_failed');
  });

  it('bounds the span when asked', () => {
    expect(codeOf(() => timeRange('2025-01-01', '2026-01-02', 366))).toBeUndefined();
    expect(codeOf(() => timeRange('2025-01-01', '2026-01-03', 366))).toBe('400 validation_failed');
  });
});
