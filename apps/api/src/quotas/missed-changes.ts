import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../common/error-message.js';
import { ADD_TO_COUNTER_LUA } from '../rate-limit/counted-alongside.js';
import { boundedStep, COUNTER_TTL_SECONDS, type CounterChange } from './quota-change-queue.js';

/**
 * Names the data Redis holds: set by the first replica to connect, and there until Redis loses
 * its data (a restart, since it keeps nothing on disk, or a flush). Returns it.
 */
const INCARNATION_SCRIPT = `redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])`;

/**
 * Adds missed changes to Redis's counters, if Redis still holds the data it held before
 * (KEYS[1] is still ARGV[1]); otherwise returns -1. KEYS[2..] are pairs of an owner's seed mark
 * and a counter, ARGV[3..] the amounts. A change whose owner has no seed mark is left out: that
 * owner's first request seeds its counters from the database, whose rollups hold it.
 */
const REPLAY_SCRIPT = `${ADD_TO_COUNTER_LUA}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local added = 0
for pair = 1, (#KEYS - 1) / 2 do
  if redis.call('EXISTS', KEYS[2 * pair]) == 1 then
    add_to_counter(KEYS[2 * pair + 1], tonumber(ARGV[pair + 2]), ARGV[2])
    added = added + 1
  end
end
return added`;

type ReplayingRedis = Redis & {
  keywardQuotaIncarnation(numberOfKeys: number, ...keysThenArgs: string[]): Promise<string>;
  keywardQuotaReplay(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
};

/** Bounds what one outage can hold; past it, further counters wait for the next seed. */
const MAX_MISSED_COUNTERS = 100_000;

export interface MissedChangeKeys {
  incarnation: string;
  counter(month: string, key: string): string;
  seedMark(month: string, key: string): string;
}

/**
 * Changes counted in this process because Redis was not connected: never sent, so Redis lacks
 * them. When the connection is back and Redis still holds its data, they are added there, so a
 * blip in the connection does not hand its requests out of the monthly count. If Redis lost its
 * data meanwhile they are dropped: the seeds that follow read the database, which holds them.
 *
 * Changes whose call failed after it was sent are not kept here: Redis may have applied them
 * (a command that timed out still runs), and adding them again would count them twice.
 */
export class MissedChanges {
  private readonly redis: ReplayingRedis;
  private readonly missed = new Map<string, { month: string; key: string; amount: number }>();
  /** The data this process last saw in Redis (see INCARNATION_SCRIPT); null before it has. */
  private incarnation: string | null = null;

  constructor(
    redis: Redis,
    private readonly keys: MissedChangeKeys,
    private readonly logger: Logger,
  ) {
    if (!('keywardQuotaReplay' in redis)) {
      redis.defineCommand('keywardQuotaIncarnation', { lua: INCARNATION_SCRIPT });
      redis.defineCommand('keywardQuotaReplay', { lua: REPLAY_SCRIPT });
    }
    this.redis = redis as ReplayingRedis;
  }

  add(month: string, changes: CounterChange[]): void {
    for (const { key, amount } of changes) {
      if (amount === 0) continue;
      const id = `${month}|${key}`;
      const missed = this.missed.get(id);
      if (missed) missed.amount += amount;
      else if (this.missed.size < MAX_MISSED_COUNTERS) this.missed.set(id, { month, key, amount });
    }
  }

  /**
   * On each connection: adds what was missed, if Redis still holds the data this process saw
   * before, then notes the data it holds now. Resolves to how many counters were added to.
   */
  async connected(): Promise<number> {
    const missed = [...this.missed.values()].filter(({ amount }) => amount !== 0);
    this.missed.clear();
    let added = 0;
    try {
      if (missed.length > 0) added = await this.replay(missed);
      this.incarnation = await this.redis.keywardQuotaIncarnation(
        1,
        this.keys.incarnation,
        randomUUID(),
      );
    } catch (error) {
      this.logger.warn(
        `Quota counts made here while Redis was away could not be added there: ${errorMessage(error)}`,
      );
    }
    return added;
  }

  private async replay(missed: { month: string; key: string; amount: number }[]): Promise<number> {
    if (this.incarnation === null) {
      // Never connected before: whether Redis kept its data cannot be told, so the seeds decide.
      this.logger.log(
        `Left ${missed.length} quota counts made before Redis was first reached to the seeds`,
      );
      return 0;
    }
    const keys = missed.flatMap(({ month, key }) => [
      this.keys.seedMark(month, ownerOf(key)),
      this.keys.counter(month, key),
    ]);
    const added = await this.redis.keywardQuotaReplay(
      1 + keys.length,
      this.keys.incarnation,
      ...keys,
      this.incarnation,
      COUNTER_TTL_SECONDS,
      ...missed.map(({ amount }) => boundedStep(amount)),
    );
    if (added < 0) {
      this.logger.log(
        `Redis lost its data while away; ${missed.length} quota counts made here meanwhile are left to the seeds`,
      );
      return 0;
    }
    this.logger.log(`Added to ${added} quota counters what was counted here while Redis was away`);
    return added;
  }
}

/** `user:usr_1:requests` belongs to `user:usr_1`, whose seed fills it. */
function ownerOf(counterKey: string): string {
  return counterKey.slice(0, counterKey.lastIndexOf(':'));
}
