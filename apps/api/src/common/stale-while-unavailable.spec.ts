import { describe, expect, it, jest } from '@jest/globals';
import { LRUCache } from 'lru-cache';
import {
  isStandingIn,
  readFromDatabase,
  STALE_WHILE_UNAVAILABLE_MS,
  STAND_IN_RETRY_MS,
  staleOrRethrow,
  staleWhileUnavailable,
} from './stale-while-unavailable.js';

/** A cache whose entries live `ttl` ms on the (fake) system clock. */
const cacheOnSystemClock = (ttl: number) =>
  new LRUCache<string, { name: string }>({
    max: 10,
    ttl,
    noDeleteOnStaleGet: true,
    perf: { now: () => Date.now() },
    ttlResolution: 0,
  });

describe('staleWhileUnavailable', () => {
  it('serves an expired entry until a bound counted from its database read, renewals or not', () => {
    // Not at 0: the cache reads a start time of 0 as "no lifetime".
    const start = 1_000_000;
    jest.useFakeTimers({ now: start });
    try {
      const cache = cacheOnSystemClock(1_000);
      const value = readFromDatabase({ name: 'value' }, Date.now());
      cache.set('key', value);
      jest.setSystemTime(start + 2_000);
      // Expired: an ordinary read misses, and does not drop it.
      expect(cache.get('key')).toBeUndefined();
      expect(staleWhileUnavailable(cache, 'key')).toBe(value);
      // Renewed while standing in, it is live again for a lifetime ...
      cache.set('key', value);
      jest.setSystemTime(start + STALE_WHILE_UNAVAILABLE_MS);
      expect(staleWhileUnavailable(cache, 'key')).toBe(value);
      // ... but never served past the bound from the read that produced it.
      cache.set('key', value);
      jest.setSystemTime(start + STALE_WHILE_UNAVAILABLE_MS + 1_500);
      expect(staleWhileUnavailable(cache, 'key')).toBeUndefined();
      expect(staleWhileUnavailable(cache, 'never cached')).toBeUndefined();
      // A value that never came from the database is never served stale.
      cache.set('other', { name: 'made here' });
      jest.setSystemTime(start + STALE_WHILE_UNAVAILABLE_MS + 3_000);
      expect(staleWhileUnavailable(cache, 'other')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('staleOrRethrow', () => {
  const expiredCache = () => {
    const cache = new LRUCache<string, { name: string }>({
      max: 10,
      ttl: 1,
      noDeleteOnStaleGet: true,
    });
    cache.set('key', readFromDatabase({ name: 'value' }, Date.now()));
    return cache;
  };
  /** TypeORM's wrapper around a driver error with this SQLSTATE or message. */
  const failure = (driverError: { code?: string; message: string }) =>
    Object.assign(new Error(driverError.message), { driverError });

  it('lets the last entry stand in when the database is away or cancelled the read', async () => {
    const cache = expiredCache();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const unreachable = failure({ message: 'Connection terminated unexpectedly' });
    const cancelled = failure({
      code: '57014',
      message: 'canceling statement due to statement timeout',
    });
    expect(staleOrRethrow(cache, 'key', unreachable).name).toBe('value');
    expect(staleOrRethrow(cache, 'key', cancelled).name).toBe('value');
  });

  it('serves a stand-in without another read for STAND_IN_RETRY_MS, or until a read succeeds', () => {
    // Ahead of the real clock: reads made by the other tests must all lie in its past.
    const start = Date.now() + 60_000;
    jest.useFakeTimers({ now: start });
    try {
      const cache = cacheOnSystemClock(1);
      const value = readFromDatabase({ name: 'value' }, Date.now());
      cache.set('key', value);
      jest.setSystemTime(start + 100);
      expect(isStandingIn(value)).toBe(false);
      const unreachable = failure({ message: 'Connection terminated unexpectedly' });
      expect(staleOrRethrow(cache, 'key', unreachable)).toBe(value);
      expect(isStandingIn(value)).toBe(true);
      jest.setSystemTime(start + 100 + STAND_IN_RETRY_MS);
      expect(isStandingIn(value)).toBe(false);
      // Standing in again, until a read succeeds anywhere: the database is back.
      expect(staleOrRethrow(cache, 'key', unreachable)).toBe(value);
      expect(isStandingIn(value)).toBe(true);
      jest.setSystemTime(start + 200 + STAND_IN_RETRY_MS);
      readFromDatabase({ name: 'another' }, Date.now());
      expect(isStandingIn(value)).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  it('throws any other failure on: a wrong statement is not an outage', async () => {
    const cache = expiredCache();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const wrong = failure({ code: '42P01', message: 'relation "api_keys" does not exist' });
    expect(() => staleOrRethrow(cache, 'key', wrong)).toThrow('does not exist');
  });
});
