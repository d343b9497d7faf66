import { describe, expect, it, jest } from '@jest/globals';
import { LRUCache } from 'lru-cache';
import { STALE_WHILE_UNAVAILABLE_MS, staleWhileUnavailable } from './stale-while-unavailable.js';

describe('staleWhileUnavailable', () => {
  it('serves an expired entry for a while, then no more; a live one is not its business', () => {
    // Not at 0: the cache reads a start time of 0 as "no lifetime".
    const start = 1_000_000;
    jest.useFakeTimers({ now: start });
    try {
      const cache = new LRUCache<string, { name: string }>({
        max: 10,
        ttl: 1_000,
        noDeleteOnStaleGet: true,
        perf: { now: () => Date.now() },
        ttlResolution: 0,
      });
      const value = { name: 'value' };
      cache.set('key', value);
      jest.setSystemTime(start + 2_000);
      // Expired: an ordinary read misses, and does not drop it.
      expect(cache.get('key')).toBeUndefined();
      expect(staleWhileUnavailable(cache, 'key')).toBe(value);
      jest.setSystemTime(start + 1_000 + STALE_WHILE_UNAVAILABLE_MS + 1);
      expect(staleWhileUnavailable(cache, 'key')).toBeUndefined();
      expect(staleWhileUnavailable(cache, 'never cached')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});
