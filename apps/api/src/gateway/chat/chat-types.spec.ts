import { describe, expect, it } from '@jest/globals';
import { MAX_REPORTED_TOKENS, reportedTokens } from './chat-types.js';

describe('reportedTokens', () => {
  it('keeps a sane count and makes any other number the nearest sane one', () => {
    expect(reportedTokens(42)).toBe(42);
    expect(reportedTokens(0)).toBe(0);
    expect(reportedTokens(2.5)).toBe(3);
    expect(reportedTokens(-7)).toBe(0);
    expect(reportedTokens(1e13)).toBe(MAX_REPORTED_TOKENS);
    // What JSON.parse makes of 1e400.
    expect(reportedTokens(Number.POSITIVE_INFINITY)).toBe(MAX_REPORTED_TOKENS);
  });

  it('ignores what is not a number at all', () => {
    for (const value of ['12', null, undefined, Number.NaN, {}, [3], true]) {
      expect(reportedTokens(value)).toBeUndefined();
    }
  });
});
