import type { LRUCache } from 'lru-cache';
import { isDatabaseUnavailable, isStatementCancelled } from '../database/unavailable.js';

/**
 * How long after it was read from the database a cached entry may still be served while the
 * database cannot be reached, however often it was renewed meanwhile: an entry whose
 * invalidation message was never sent is bounded by this too.
 */
export const STALE_WHILE_UNAVAILABLE_MS = 10 * 60_000;
/**
 * A value that stood in for a failed read is served without another try for this long: with the
 * database away, one read per entry now and then rather than one per request (each of which
 * could wait out a silent database's timeout).
 */
export const STAND_IN_RETRY_MS = 5_000;

/** When each cached value was read from the database (values are the cache's own objects). */
const readAt = new WeakMap<object, number>();
/** When a value stood in for a failed read. */
const stoodInAt = new WeakMap<object, number>();
/** When a read from the database last succeeded, in any cache: it is back if after a stand-in. */
let lastReadSucceededAt = -Infinity;

/**
 * Marks a value as read from the database by a read begun at `startedAt` (a change committed
 * after that may be missing from it), and returns it.
 */
export function readFromDatabase<V extends object>(value: V, startedAt: number): V {
  readAt.set(value, startedAt);
  lastReadSucceededAt = Date.now();
  return value;
}

/**
 * Whether `value` stood in for a failed read less than STAND_IN_RETRY_MS ago, and no read has
 * succeeded since (the database is still away).
 */
export function isStandingIn(value: object): boolean {
  const at = stoodInAt.get(value);
  if (at === undefined) return false;
  return Date.now() - at < STAND_IN_RETRY_MS && lastReadSucceededAt < at;
}

/** When `value` was read from the database (undefined for a value that did not come from it). */
export function readAtOf(value: object): number | undefined {
  return readAt.get(value);
}

/**
 * The entry `key` held when its lifetime ran out, for a caller whose database read just failed
 * because the database is unreachable; undefined when there is none, or when it was read from
 * the database longer than STALE_WHILE_UNAVAILABLE_MS ago. The cache must keep expired entries
 * on read (`noDeleteOnStaleGet`), and its values must come through `readFromDatabase`.
 */
export function staleWhileUnavailable<V extends object>(
  cache: LRUCache<string, V>,
  key: string,
): V | undefined {
  const value = cache.get(key, { allowStale: true });
  if (value === undefined) return undefined;
  const read = readAtOf(value);
  if (read === undefined || Date.now() - read > STALE_WHILE_UNAVAILABLE_MS) return undefined;
  return value;
}

/**
 * For a database read that failed with `error`: the entry's last value when the database cannot
 * be reached, or cancelled the read for running past its timeout (a server too loaded to answer
 * a one-row lookup in time is as good as away), and `staleWhileUnavailable` still has it;
 * otherwise `error` is thrown on.
 */
export function staleOrRethrow<V extends object>(
  cache: LRUCache<string, V>,
  key: string,
  error: unknown,
): V {
  const standIn = isDatabaseUnavailable(error) || isStatementCancelled(error);
  const stale = standIn ? staleWhileUnavailable(cache, key) : undefined;
  if (!stale) throw error;
  stoodInAt.set(stale, Date.now());
  return stale;
}
