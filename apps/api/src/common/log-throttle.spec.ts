import { describe, expect, it } from '@jest/globals';
import { LogThrottle } from './log-throttle.js';

describe('LogThrottle', () => {
  it('lets the first occurrence through, then one per interval with the count held back', () => {
    const throttle = new LogThrottle(10_000);
    expect(throttle.pass(1_000_000)).toBe(1);
    expect(throttle.pass(1_001_000)).toBeUndefined();
    expect(throttle.pass(1_009_999)).toBeUndefined();
    expect(throttle.pass(1_010_000)).toBe(3);
    expect(throttle.pass(1_010_001)).toBeUndefined();
  });
});
