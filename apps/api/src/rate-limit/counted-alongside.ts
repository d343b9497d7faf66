/**
 * Counters another feature wants changed together with a rate-limit hit, and only when the hit
 * is admitted: the quota module's monthly request count, for one. The limiter applies them in
 * the same Redis call as the hit, or in process when the hit is counted in process.
 */
export interface CountedAlongside {
  shared: SharedCounterChanges;
  /**
   * Applies the same changes to the in-process counters and returns the totals, in order.
   * `neverSent`: Redis was not connected, so the shared changes were not sent at all (rather than
   * sent in a call that failed, which Redis may still have run).
   */
  locally(neverSent: boolean): number[];
}

export interface SharedCounterChanges {
  /** Full Redis keys. */
  keys: string[];
  /** Added to each key in order; 0 only reads it. */
  amounts: number[];
  /** Expiry given to a key the change creates. */
  ttlSeconds: number;
}

/**
 * Lua for the scripts that change such counters: `add_to_counter(key, amount, ttl)` adds
 * `amount` to `key` (0 only reads it), gives a key it creates its expiry, and returns the total.
 * The quota counters' own scripts use it too, so every counter changes the same way.
 */
export const ADD_TO_COUNTER_LUA = `
local function add_to_counter(key, amount, ttl)
  if amount == 0 then return tonumber(redis.call('GET', key) or '0') end
  local total = redis.call('INCRBY', key, amount)
  if total == amount then redis.call('EXPIRE', key, ttl) end
  return total
end`;
