import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { errorMessage } from '../common/error-message.js';
import { ADD_TO_COUNTER_LUA } from '../rate-limit/counted-alongside.js';
import { boundedStep, COUNTER_TTL_SECONDS, type CounterChange } from './quota-change-queue.js';

/**
 * Adds missed changes to Redis's counters. KEYS are pairs of an owner's seed mark and a counter;
 * ARGV[1] is the expiry, then a seed token and an amount per pair. A change is added only while
 * its owner's mark still holds the token this process saw before it lost Redis: the same seed,
 * so the counter never counted the change. A mark that is gone or holds another token (Redis lost
 * its data, and a seed since read the database, which holds the change) leaves it out.
 */
const REPLAY_SCRIPT = `${ADD_TO_COUNTER_LUA}
local added = 0
for pair = 1, #KEYS / 2 do
  if redis.call('GET', KEYS[2 * pair - 1]) == ARGV[2 * pair] then
    add_to_counter(KEYS[2 * pair], tonumber(ARGV[2 * pair + 1]), ARGV[1])
    added = added + 1
  end
end
return added`;

type ReplayingRedis = Redis & {
  keywardQuotaReplay(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
};

/** Counters one replay call carries; more go in the next (each call blocks Redis while it runs). */
const REPLAY_CHUNK = 2_000;

/** Bounds the seeds remembered and the counters one outage can hold. */
const MAX_REMEMBERED = 100_000;

export interface MissedChangeKeys {
  counter(month: string, key: string): string;
  seedMark(month: string, owner: string): string;
}

interface Missed {
  month: string;
  key: string;
  amount: number;
  /** The seed the counter held in Redis, as this process last saw it there. */
  token: string;
}

/**
 * Changes counted in this process because Redis was not connected: never sent, so Redis lacks
 * them. When the connection is back they are added there, so a blip in the connection does not
 * take its requests out of the monthly count; but only where the counter still holds the seed
 * this process saw in Redis before (`seededInRedis`). Otherwise they are left to the seeds, which
 * read the database: a counter seeded since (Redis lost its data, or the owner had never been
 * seeded) already holds what the rollups had.
 *
 * Changes whose call failed after it was sent are not kept here: Redis may have run them (a
 * command that timed out still runs), and adding them again would count them twice.
 */
export class MissedChanges {
  private readonly redis: ReplayingRedis;
  private readonly missed = new Map<string, Missed>();
  /** Seed tokens seen in Redis, by `month|owner`. */
  private readonly seeds = new Map<string, string>();
  private notKept = 0;

  constructor(
    redis: Redis,
    private readonly keys: MissedChangeKeys,
    private readonly logger: Logger,
  ) {
    if (!('keywardQuotaReplay' in redis)) {
      redis.defineCommand('keywardQuotaReplay', { lua: REPLAY_SCRIPT });
    }
    this.redis = redis as ReplayingRedis;
  }

  /** An owner's counters hold the seed `token` in Redis (read or written there just now). */
  seededInRedis(month: string, owner: string, token: string): void {
    const id = `${month}|${owner}`;
    if (this.seeds.size >= MAX_REMEMBERED && !this.seeds.has(id)) return;
    this.seeds.set(id, token);
  }

  add(month: string, changes: CounterChange[]): void {
    for (const { key, amount } of changes) {
      if (amount === 0) continue;
      const id = `${month}|${key}`;
      const missed = this.missed.get(id);
      if (missed) {
        missed.amount += amount;
        continue;
      }
      const token = this.seeds.get(`${month}|${ownerOf(key)}`);
      if (token === undefined || this.missed.size >= MAX_REMEMBERED) {
        this.notKept += 1;
        continue;
      }
      this.missed.set(id, { month, key, amount, token });
    }
  }

  /** On each connection: adds what was missed. Resolves to how many counters were added to. */
  async connected(): Promise<number> {
    const missed = [...this.missed.values()].filter(({ amount }) => amount !== 0);
    this.missed.clear();
    const notKept = this.notKept;
    this.notKept = 0;
    if (notKept > 0) {
      this.logger.log(
        `Left ${notKept} quota counts made while Redis was away to the seeds: their counters had not been seen seeded in Redis`,
      );
    }
    let added = 0;
    try {
      for (let from = 0; from < missed.length; from += REPLAY_CHUNK) {
        added += await this.replay(missed.slice(from, from + REPLAY_CHUNK));
      }
    } catch (error) {
      this.logger.warn(
        `Quota counts made here while Redis was away may not all have been added there: ${errorMessage(error)}`,
      );
    }
    if (missed.length > 0) {
      this.logger.log(
        `Added to ${added} of ${missed.length} quota counters what was counted here while Redis was away`,
      );
    }
    return added;
  }

  private replay(missed: Missed[]): Promise<number> {
    return this.redis.keywardQuotaReplay(
      2 * missed.length,
      ...missed.flatMap(({ month, key }) => [
        this.keys.seedMark(month, ownerOf(key)),
        this.keys.counter(month, key),
      ]),
      COUNTER_TTL_SECONDS,
      ...missed.flatMap(({ token, amount }) => [token, boundedStep(amount)]),
    );
  }
}

/** `user:usr_1:requests` belongs to `user:usr_1`, whose seed fills it. */
function ownerOf(counterKey: string): string {
  return counterKey.slice(0, counterKey.lastIndexOf(':'));
}
