import type { Redis } from 'ioredis';
import { ADD_TO_COUNTER_LUA } from '../rate-limit/counted-alongside.js';
import { wasRefusedUnwritten } from '../redis/unwritten-command.js';

/** Counters outlive their month by a little, for late readers; then Redis forgets them. */
export const COUNTER_TTL_SECONDS = 40 * 24 * 3600;

/**
 * Adds each ARGV amount (0 reads) to its key and returns every total, in one round trip. A key
 * the script creates gets its expiry. One call carries the counters of several owners: Keyward
 * talks to a single Redis node (not a Cluster, see the rate limiter's store).
 */
const CHANGE_SCRIPT = `${ADD_TO_COUNTER_LUA}
local totals = {}
for i, key in ipairs(KEYS) do
  totals[i] = add_to_counter(key, tonumber(ARGV[i + 1]), ARGV[1])
end
return totals`;

/**
 * Sets an owner's seed mark (KEYS[1]) to a token naming this seed (ARGV[2]) and adds the
 * database's totals to its counters (KEYS[2..], amounts in ARGV[3..]) in one step, or does
 * nothing when the mark is there already (another replica seeded first). Returns the token the
 * mark holds. The mark never stands without its seed: a call that failed, or a Redis that lost
 * its data, leaves neither, and the next request seeds again.
 */
const SEED_SCRIPT = `${ADD_TO_COUNTER_LUA}
if not redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[1], 'NX') then
  return redis.call('GET', KEYS[1])
end
for i = 2, #KEYS do
  add_to_counter(KEYS[i], tonumber(ARGV[i + 1]), ARGV[1])
end
return ARGV[2]`;

export type ScriptedRedis = Redis & {
  keywardQuotaChange(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
  keywardQuotaSeed(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<string>;
};

/** The connection with the quota scripts defined on it (once per connection). */
export function withQuotaScripts(redis: Redis): ScriptedRedis {
  if (!('keywardQuotaChange' in redis)) {
    redis.defineCommand('keywardQuotaChange', { lua: CHANGE_SCRIPT });
    redis.defineCommand('keywardQuotaSeed', { lua: SEED_SCRIPT });
  }
  return redis as ScriptedRedis;
}

/**
 * The most one change may add or take: a billion dollars in micro-dollars. One absurd amount (a
 * provider reporting absurd usage) would otherwise fail its whole batch inside Redis's INCRBY.
 */
const MAX_STEP = 1e15;

export function boundedStep(amount: number): number {
  if (!Number.isFinite(amount)) return 0;
  return Math.max(-MAX_STEP, Math.min(MAX_STEP, Math.trunc(amount)));
}

/** Bounds one script call's arguments; more waits for the next call. */
const MAX_QUEUED_PER_CALL = 10_000;

export interface CounterChange {
  key: string;
  /** Added to the counter; 0 only reads it. */
  amount: number;
}

/**
 * Where a change was counted, so it is taken back there: Redis, or this process's counters as
 * they were then (they are dropped whenever counting moves), and whether it is also kept for
 * Redis, having never been sent there (`MissedChanges`).
 */
export type CountedIn =
  { inRedis: true } | { inRedis: false; memoryEpoch: number; neverSent: boolean };

export interface ChangeResult {
  /** The counters' totals right after these changes, in order; empty when they were dropped. */
  totals: number[];
  countedIn: CountedIn;
}

/**
 * What becomes of changes whose Redis call failed: counted in this process instead, or dropped
 * (a give-back of something Redis counted, which this process's counters never held).
 */
export type WhenRedisFails = 'count-here' | 'drop';

export interface QueuedChange {
  month: string;
  changes: CounterChange[];
  whenRedisFails: WhenRedisFails;
  settle: (result: ChangeResult) => void;
}

/** The changes of a failed call: those it carried, which Redis may have run, and the rest. */
export interface FailedChanges {
  sent: QueuedChange[];
  neverSent: QueuedChange[];
}

/**
 * Sends quota changes to Redis one script call at a time, each carrying every change queued
 * since the last was sent: a lone change goes at once, and under load the calls (and Redis's
 * work) grow with the round trip rather than with the requests. When a call fails, its changes
 * and everything queued behind it go to `callFailed` together, unsent: with Redis hanging, no
 * caller waits behind more than the call under way.
 */
export class QuotaChangeQueue {
  private readonly queued: QueuedChange[] = [];
  private sending = false;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly redisKey: (month: string, key: string) => string,
    private readonly callAnswered: () => void,
    /** Settles every change of a failed call, and those queued behind it. */
    private readonly callFailed: (error: unknown, changes: FailedChanges) => void,
  ) {}

  /**
   * Queues the changes for the next call. Each caller's totals are as if its changes had been
   * applied alone, in the order the callers came.
   */
  push(month: string, changes: CounterChange[], whenRedisFails: WhenRedisFails) {
    const bounded = changes.map(({ key, amount }) => ({ key, amount: boundedStep(amount) }));
    return new Promise<ChangeResult>((settle) => {
      this.queued.push({ month, changes: bounded, whenRedisFails, settle });
      if (!this.sending) void this.sendQueued();
    });
  }

  private async sendQueued(): Promise<void> {
    this.sending = true;
    try {
      while (this.queued.length > 0) {
        await this.send(this.queued.splice(0, MAX_QUEUED_PER_CALL));
      }
    } finally {
      this.sending = false;
    }
  }

  private async send(batch: QueuedChange[]): Promise<void> {
    const keys: string[] = [];
    const amounts: number[] = [];
    const positions = new Map<string, number>();
    /** For each queued change, the position of its counter in `keys`. */
    const positionsOf = batch.map(({ month, changes }) =>
      changes.map(({ key, amount }) => {
        const redisKey = this.redisKey(month, key);
        let position = positions.get(redisKey);
        if (position === undefined) {
          position = keys.length;
          positions.set(redisKey, position);
          keys.push(redisKey);
          amounts.push(0);
        }
        amounts[position] = (amounts[position] ?? 0) + amount;
        return position;
      }),
    );
    let totals: number[];
    try {
      totals = (
        await this.redis.keywardQuotaChange(keys.length, ...keys, COUNTER_TTL_SECONDS, ...amounts)
      ).map(Number);
    } catch (error) {
      const behind = this.queued.splice(0);
      this.callFailed(
        error,
        // A call refused before it was written (the connection had just dropped) never reached
        // Redis: what it carried is as unsent as what queued behind it.
        wasRefusedUnwritten(error)
          ? { sent: [], neverSent: [...batch, ...behind] }
          : { sent: batch, neverSent: behind },
      );
      return;
    }
    this.callAnswered();
    // Redis has the totals after the whole batch: walking back from the last change, each
    // caller's totals are those less what came after it.
    for (let entry = batch.length - 1; entry >= 0; entry--) {
      const { changes, settle } = batch[entry] as QueuedChange;
      const at = positionsOf[entry] as number[];
      const mine: number[] = [];
      for (let change = changes.length - 1; change >= 0; change--) {
        const position = at[change] as number;
        mine[change] = totals[position] ?? 0;
        totals[position] = (totals[position] ?? 0) - (changes[change]?.amount ?? 0);
      }
      settle({ totals: mine, countedIn: { inRedis: true } });
    }
  }
}
