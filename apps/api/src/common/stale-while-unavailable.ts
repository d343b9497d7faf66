import type { LRUCache } from 'lru-cache';

/**
 * How long past its lifetime a cached entry may still be served while the database cannot be
 * reached to read it again. An entry in use is renewed each time it stands in; one unused for
 * longer is not served.
 */
export const STALE_WHILE_UNAVAILABLE_MS = 10 * 60_000;

/**
 * The entry `key` held when its lifetime ran out, for a caller whose database read just failed
 * because the database is unreachable; undefined when there is none or it is too old. The cache
 * must keep expired entries on read (`noDeleteOnStaleGet`).
 */
export function staleWhileUnavailable<V extends object>(
  cache: LRUCache<string, V>,
  key: string,
): V | undefined {
  const value = cache.get(key, { allowStale: true });
  if (value === undefined || -cache.getRemainingTTL(key) > STALE_WHILE_UNAVAILABLE_MS) {
    return undefined;
  }
  return value;
}
