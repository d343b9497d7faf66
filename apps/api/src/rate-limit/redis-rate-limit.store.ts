import type { Redis } from 'ioredis';
import { describeDecision, type RateLimitDecision } from './sliding-window.js';

/**
 * The same sliding-window counter as the memory store, in one atomic Lua script so any number of
 * replicas sharing Redis together admit at most the limit. Time comes from Redis itself, so
 * replicas with skewed clocks still agree on window boundaries.
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
return {1, current + 1, previous, elapsed}
`;

export class RedisRateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('keywardRateLimit', { numberOfKeys: 1, lua: SCRIPT });
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const redis = this.redis as unknown as RateLimitCommand;
    const [allowed, current, previous, elapsed] = await redis.keywardRateLimit(
      // A hash tag keeps both windows of a key in one Redis Cluster slot.
      `${this.prefix}{${key}}`,
      limit,
      windowMs,
    );
    return describeDecision(allowed === 1, previous, current, elapsed, windowMs, limit);
  }
}

interface RateLimitCommand {
  keywardRateLimit(
    key: string,
    limit: number,
    windowMs: number,
  ): Promise<[number, number, number, number]>;
}
