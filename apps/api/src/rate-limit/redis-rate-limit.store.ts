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

/**
 * The same window, counting several admissions at once for RateLimitLeases: as many as `want`
 * and a `share`-th of the room left on top, never more than the room. A replica's unused spares
 * from an earlier call (ARGV[5] is their window's start, ARGV[6] how many) go back first.
 */
const TAKE_SCRIPT = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local share = tonumber(ARGV[4])
local returning = tonumber(ARGV[6])
if returning > 0 then
  local spent = KEYS[1] .. ':' .. ARGV[5]
  if redis.call('EXISTS', spent) == 1 then redis.call('DECRBY', spent, returning) end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local start = now - (now % window)
local currentKey = KEYS[1] .. ':' .. start
local current = tonumber(redis.call('GET', currentKey) or '0')
local previous = tonumber(redis.call('GET', KEYS[1] .. ':' .. (start - window)) or '0')
local elapsed = now - start
local room = limit - (math.ceil(previous * (window - elapsed) / window) + current)
if room <= 0 then
  return {0, current, previous, elapsed, start, 0}
end
local granted = math.min(room, want + math.floor(room / share))
redis.call('INCRBY', currentKey, granted)
redis.call('PEXPIRE', currentKey, window * 2)
return {granted, current + granted, previous, elapsed, start, room - granted}
`;

/** Gives unused admissions back to the window they were counted in, if it is still kept. */
const GIVE_BACK_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECRBY', KEYS[1], ARGV[1]) end
return 1
`;

/** What one `take` call counted. */
export interface WindowGrant {
  /** Admissions counted; 0 when the window is full. */
  granted: number;
  /** The window's start on Redis's clock, to give unused admissions back to. */
  windowStart: number;
  untilWindowEnds: number;
  /** Room left after the grant. */
  roomAfter: number;
  /** The answer for a hit refused by this call (when `granted` is 0). */
  refusal: RateLimitDecision;
}

export class RedisRateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('keywardRateLimit', { lua: SCRIPT });
    redis.defineCommand('keywardRateLimitTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    redis.defineCommand('keywardRateLimitGiveBack', { numberOfKeys: 1, lua: GIVE_BACK_SCRIPT });
  }

  /** Counts up to `want` admissions plus spares (see TAKE_SCRIPT), first giving `returned` back. */
  async take(
    key: string,
    limit: number,
    windowMs: number,
    want: number,
    share: number,
    returned?: { windowStart: number; count: number },
  ): Promise<WindowGrant> {
    const redis = this.redis as unknown as RateLimitCommand;
    const answer = await redis.keywardRateLimitTake(
      this.windowKey(key),
      limit,
      windowMs,
      want,
      share,
      returned?.windowStart ?? 0,
      returned?.count ?? 0,
    );
    const [granted = 0, current = 0, previous = 0, elapsed = 0, windowStart = 0, roomAfter = 0] =
      answer;
    return {
      granted,
      windowStart,
      untilWindowEnds: windowMs - elapsed,
      roomAfter,
      refusal: describeDecision(false, previous, current, elapsed, windowMs, limit),
    };
  }

  async giveBack(key: string, windowStart: number, count: number): Promise<void> {
    const redis = this.redis as unknown as RateLimitCommand;
    await redis.keywardRateLimitGiveBack(`${this.windowKey(key)}:${windowStart}`, count);
  }

  private windowKey(key: string): string {
    // A hash tag keeps both windows of a key together (one slot, were it ever a Cluster).
    return `${this.prefix}{${key}}`;
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
      this.windowKey(key),
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
  keywardRateLimitTake(key: string, ...args: number[]): Promise<number[]>;
  keywardRateLimitGiveBack(key: string, count: number): Promise<number>;
}
