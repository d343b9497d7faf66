import { describe, expect, it } from '@jest/globals';
import { thresholdsCrossed } from './thresholds.js';

describe('thresholdsCrossed', () => {
  it('reports each threshold once, on the step that reaches it', () => {
    expect(thresholdsCrossed(49, 50, 100)).toEqual([50]);
    expect(thresholdsCrossed(50, 51, 100)).toEqual([]);
    expect(thresholdsCrossed(79, 80, 100)).toEqual([80]);
    expect(thresholdsCrossed(99, 100, 100)).toEqual([100]);
    expect(thresholdsCrossed(100, 101, 100)).toEqual([]);
  });

  it('reports several thresholds when one big step passes them all', () => {
    expect(thresholdsCrossed(0, 5_000_000, 4_000_000)).toEqual([50, 80, 100]);
  });

  it('ignores unlimited and zero limits, and counters that did not grow', () => {
    expect(thresholdsCrossed(0, 10, null)).toEqual([]);
    expect(thresholdsCrossed(0, 10, 0)).toEqual([]);
    expect(thresholdsCrossed(60, 60, 100)).toEqual([]);
  });

  it('works for odd limits where a threshold is not a whole number', () => {
    expect(thresholdsCrossed(1, 2, 3)).toEqual([50]);
    expect(thresholdsCrossed(2, 3, 3)).toEqual([80, 100]);
  });
});
