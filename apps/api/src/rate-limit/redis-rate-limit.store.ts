import type { Redis } from 'ioredis';
import { ADD_TO_COUNTER_LUA, type SharedCounterChanges } from './counted-alongside.js';
import { describeDecision, type RateLimitDecision } from './sliding-window.js';

/**
 * The same sliding-window counter as the memory store, in one atomic Lua script so any number of
 * replicas sharing Redis together admit at most the limit. Time comes from Redis itself, so
 * replicas with skewed clocks still agree on window boundaries.
 *
 * One call counts up to `want` admissions (ARGV[3]) and, when `share` (ARGV[4]) is above 0, a
 * `share`-th of the room left on top as spares for RateLimitLeases; never more than the room. A
 * replica's unused spares from an earlier call (ARGV[6] of them, counted in the window starting
 * at ARGV[5]) go back first.
 *
 * Counters passed after the window's key (KEYS[2..], amounts in ARGV[8..], the expiry of a key
 * they create in ARGV[7]) change only when something is admitted, in the same call: a generation
 * request's rate limit and its plan's request count cost one round trip, and a refused request
 * never touches the count. Such a call spans keys of several owners, so it needs the one Redis
 * node Keyward connects to (not a Cluster).
 */
const SCRIPT = `${ADD_TO_COUNTER_LUA}
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
local granted = want
if share > 0 then granted = want + math.floor(room / share) end
granted = math.min(room, granted)
redis.call('INCRBY', currentKey, granted)
redis.call('PEXPIRE', currentKey, window * 2)
local answer = {granted, current + granted, previous, elapsed, start, room - granted}
for i = 2, #KEYS do
  answer[#answer + 1] = add_to_counter(KEYS[i], tonumber(ARGV[i + 6]), ARGV[7])
end
return answer
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
    redis.defineCommand('keywardRateLimitGiveBack', { numberOfKeys: 1, lua: GIVE_BACK_SCRIPT });
  }

  /** Counts one hit; when admitted, applies `alongside` too and returns its totals in order. */
  async hit(
    key: string,
    limit: number,
    windowMs: number,
    alongside?: SharedCounterChanges,
  ): Promise<{ decision: RateLimitDecision; totals: number[] | null }> {
    const counted = await this.count(key, limit, windowMs, 1, 0, undefined, alongside);
    const allowed = counted.granted === 1;
    const { previous, current, elapsed } = counted;
    return {
      decision: describeDecision(allowed, previous, current, elapsed, windowMs, limit),
      totals: allowed ? counted.totals : null,
    };
  }

  /** Counts up to `want` admissions plus spares (see SCRIPT), first giving `returned` back. */
  async take(
    key: string,
    limit: number,
    windowMs: number,
    want: number,
    share: number,
    returned?: { windowStart: number; count: number },
  ): Promise<WindowGrant> {
    const counted = await this.count(key, limit, windowMs, want, share, returned);
    const { previous, current, elapsed } = counted;
    return {
      granted: counted.granted,
      windowStart: counted.windowStart,
      untilWindowEnds: windowMs - elapsed,
      roomAfter: counted.roomAfter,
      refusal: describeDecision(false, previous, current, elapsed, windowMs, limit),
    };
  }

  async giveBack(key: string, windowStart: number, count: number): Promise<void> {
    const redis = this.redis as unknown as RateLimitCommand;
    await redis.keywardRateLimitGiveBack(`${this.windowKey(key)}:${windowStart}`, count);
  }

  /** One run of SCRIPT, its answer by name. */
  private async count(
    key: string,
    limit: number,
    windowMs: number,
    want: number,
    share: number,
    returned: { windowStart: number; count: number } | undefined,
    alongside?: SharedCounterChanges,
  ) {
    const redis = this.redis as unknown as RateLimitCommand;
    const counters = alongside?.keys ?? [];
    const answer = await redis.keywardRateLimit(
      1 + counters.length,
      this.windowKey(key),
      ...counters,
      limit,
      windowMs,
      want,
      share,
      returned?.windowStart ?? 0,
      returned?.count ?? 0,
      alongside?.ttlSeconds ?? 0,
      ...(alongside?.amounts ?? []),
    );
    const [granted = 0, current = 0, previous = 0, elapsed = 0, windowStart = 0, roomAfter = 0] =
      answer;
    return { granted, current, previous, elapsed, windowStart, roomAfter, totals: answer.slice(6) };
  }

  private windowKey(key: string): string {
    // A hash tag keeps both windows of a key together (one slot, were it ever a Cluster).
    return `${this.prefix}{${key}}`;
  }
}

interface RateLimitCommand {
  keywardRateLimit(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
  keywardRateLimitGiveBack(key: string, count: number): Promise<number>;
}
