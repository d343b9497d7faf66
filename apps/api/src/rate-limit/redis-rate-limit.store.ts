import type { Redis } from 'ioredis';
import type { SharedCounterChanges } from './counted-alongside.js';
import { describeDecision, type RateLimitDecision } from './sliding-window.js';

/**
 * The same sliding-window counter as the memory store, in one atomic Lua script so any number of
 * replicas sharing Redis together admit at most the limit. Time comes from Redis itself, so
 * replicas with skewed clocks still agree on window boundaries.
 *
 * Counters passed after the window's key (KEYS[2..], amounts in ARGV[4..], the expiry of a key
 * they create in ARGV[3]) change only when the request is admitted, in the same call: a
 * generation request's rate limit and its plan's request count cost one round trip, and a refused
 * request never touches the count. Such a call spans keys of several owners, so it needs the one
 * Redis node Keyward connects to (not a Cluster).
 */
const SCRIPT = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local start = now - (now % window)
local currentKey = KEYS[1] .. ':' .. start
local previousKey = KEYS[1] .. ':' .. (start - window)
local current = tonumber(redis.call('GET', currentKey) or '0')
local previous = tonumber(redis.call('GET', previousKey) or '0')
local elapsed = now - start
local estimated = math.ceil(previous * (window - elapsed) / window) + current
if estimated >= limit then
  return {0, current, previous, elapsed}
end
redis.call('INCR', currentKey)
redis.call('PEXPIRE', currentKey, window * 2)
local answer = {1, current + 1, previous, elapsed}
for i = 2, #KEYS do
  local amount = tonumber(ARGV[i + 2])
  if amount ~= 0 then
    local total = redis.call('INCRBY', KEYS[i], amount)
    if total == amount then redis.call('EXPIRE', KEYS[i], ARGV[3]) end
    answer[#answer + 1] = total
  else
    answer[#answer + 1] = tonumber(redis.call('GET', KEYS[i]) or '0')
  end
end
return answer
`;

export class RedisRateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('keywardRateLimit', { lua: SCRIPT });
  }

  /** Counts one hit; when admitted, applies `alongside` too and returns its totals in order. */
  async hit(
    key: string,
    limit: number,
    windowMs: number,
    alongside?: SharedCounterChanges,
  ): Promise<{ decision: RateLimitDecision; totals: number[] | null }> {
    const redis = this.redis as unknown as RateLimitCommand;
    const counters = alongside?.keys ?? [];
    const answer = await redis.keywardRateLimit(
      1 + counters.length,
      // A hash tag keeps both windows of a key together (one slot, were it ever a Cluster).
      `${this.prefix}{${key}}`,
      ...counters,
      limit,
      windowMs,
      alongside?.ttlSeconds ?? 0,
      ...(alongside?.amounts ?? []),
    );
    const [allowed = 0, current = 0, previous = 0, elapsed = 0, ...totals] = answer;
    return {
      decision: describeDecision(allowed === 1, previous, current, elapsed, windowMs, limit),
      totals: allowed === 1 ? totals : null,
    };
  }
}

interface RateLimitCommand {
  keywardRateLimit(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
}
