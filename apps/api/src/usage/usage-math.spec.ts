import { describe, expect, it } from '@jest/globals';
import { limitUse, totalsOf } from './usage-math.js';

describe('totalsOf', () => {
  it('turns summed rollups into totals with rate and average latency', () => {
    expect(
      totalsOf({
        requests: '4',
        successes: '3',
        input_tokens: '10',
        output_tokens: '20',
        cost_micros: '31',
        latency_ms_total: '10',
      }),
    ).toEqual({
      requests: 4,
      successes: 3,
      successRate: 0.75,
      inputTokens: 10,
      outputTokens: 20,
      costMicros: 31,
      averageLatencyMs: 3,
    });
  });

  it('reads no requests as a full success rate and zero latency', () => {
    expect(totalsOf(undefined)).toMatchObject({ requests: 0, successRate: 1, averageLatencyMs: 0 });
    expect(
      totalsOf({
        requests: 0,
        successes: 0,
        input_tokens: 0,
        output_tokens: 0,
        cost_micros: 0,
        latency_ms_total: 0,
      }),
    ).toMatchObject({ successRate: 1, averageLatencyMs: 0 });
  });
});

describe('limitUse', () => {
  it('gives the percentage to one decimal', () => {
    expect(limitUse(1, 3)).toEqual({ used: 1, limit: 3, percent: 33.3 });
    expect(limitUse(500, 1000)).toEqual({ used: 500, limit: 1000, percent: 50 });
    expect(limitUse(1500, 1000)).toEqual({ used: 1500, limit: 1000, percent: 150 });
  });

  it('has no percentage when unlimited, and a zero limit is used up', () => {
    expect(limitUse(7, null)).toEqual({ used: 7, limit: null, percent: null });
    expect(limitUse(0, 0)).toEqual({ used: 0, limit: 0, percent: 100 });
  });
});
