import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../common/error-message.js';
import type { CountedAlongside } from '../rate-limit/counted-alongside.js';
import { MissedChanges } from './missed-changes.js';
import {
  boundedStep,
  COUNTER_TTL_SECONDS,
  QuotaChangeQueue,
  withQuotaScripts,
  type CounterChange,
  type CountedIn,
  type FailedChanges,
  type ScriptedRedis,
} from './quota-change-queue.js';

export type { CounterChange, CountedIn } from './quota-change-queue.js';

/** What a change did: the totals it made, in order, and where it was counted. */
export interface Counted {
  totals: number[];
  inRedis: boolean;
  countedIn: CountedIn;
}

/** Changes for the rate limiter to make with a hit it admits, and where it made them. */
export interface QuotaAlongside extends CountedAlongside {
  /** Once the hit was counted: in Redis, unless the limiter made the changes here. */
  countedIn(): CountedIn;
}

/**
 * An owner's counters still need what the database holds (`QuotaCounters.claimSeed`), and where:
 * in Redis (where the seed is settled when it is added, see `applySeed`) or in this process
 * (claimed here, for the life of its counters the claim was made in).
 */
export type SeedClaim = { month: string; owner: string } & (
  { inRedis: true } | { inRedis: false; memoryEpoch: number }
);

/**
 * Monthly counters for quota checks: in Redis when configured, so every replica sees the same
 * totals, in process otherwise (and while Redis is unreachable). Keys carry their month, so a
 * new month starts from zero by itself.
 */
export class QuotaCounters {
  private readonly logger = new Logger(QuotaCounters.name);
  private readonly memory = new Map<string, number>();
  private readonly memorySeeds = new Set<string>();
  /** Goes up each time this process's counters are dropped (see `forgetLocal`). */
  private memoryEpoch = 0;
  private memoryMonth = '';
  private usingFallback = false;
  private readonly redis: ScriptedRedis | null;
  private readonly queue: QuotaChangeQueue | null;
  private readonly missed: MissedChanges | null;
  /** The latest reconnect's work (see `MissedChanges.connected`). */
  private reconnected: Promise<number> = Promise.resolve(0);
  private readonly storeChangeListeners: (() => void)[] = [];

  constructor(
    redis: Redis | null,
    private readonly prefix: string,
  ) {
    const scripted = redis ? withQuotaScripts(redis) : null;
    this.redis = scripted;
    this.queue = scripted
      ? new QuotaChangeQueue(
          scripted,
          (month, key) => this.redisKey(month, key),
          () => {
            this.noteAnswered();
          },
          (error, changes) => {
            this.callFailed(error, changes);
          },
        )
      : null;
    this.missed = redis
      ? new MissedChanges(
          redis,
          {
            counter: (month, key) => this.redisKey(month, key),
            seedMark: (month, owner) => this.seedMark(month, owner),
          },
          this.logger,
        )
      : null;
    redis?.on('close', () => {
      this.storeChanged();
    });
    redis?.on('ready', () => {
      this.backInRedis();
      this.reconnected = this.missed?.connected() ?? Promise.resolve(0);
    });
    if (redis?.status === 'ready') this.reconnected = this.missed?.connected() ?? this.reconnected;
  }

  /** Settles once the latest connection's missed changes were added (for tests). */
  whenReconnected(): Promise<number> {
    return this.reconnected;
  }

  /**
   * Calls `listener` whenever the counters in use may no longer hold what was seeded into them:
   * Redis came back (maybe empty, after a restart: it keeps nothing on disk) or went away
   * (counting moves into this process, whose counters were never seeded). The listener forgets
   * its seeds, so the next request seeds again where it counts now.
   */
  onStoreChange(listener: () => void): void {
    this.storeChangeListeners.push(listener);
  }

  private storeChanged(): void {
    for (const listener of this.storeChangeListeners) listener();
  }

  /** Applies every change at once (atomically in Redis) and returns the totals, in order. */
  async change(month: string, changes: CounterChange[]): Promise<number[]> {
    return (await this.changeReporting(month, changes)).totals;
  }

  /**
   * `change`, also saying whether Redis (rather than this process) counted it. Changes made while
   * a call to Redis is out go together in the next one (`QuotaChangeQueue`).
   */
  async changeReporting(month: string, changes: CounterChange[]): Promise<Counted> {
    if (!this.queue || this.redis?.status !== 'ready') {
      if (this.redis) this.noteFallback('Redis not connected');
      const totals = this.changeLocally(month, changes);
      return { totals, inRedis: false, countedIn: this.countedHere(month, changes, true) };
    }
    const { totals, countedIn } = await this.queue.push(month, changes, 'count-here');
    return { totals, inRedis: countedIn.inRedis, countedIn };
  }

  /**
   * Where changes just made here were counted; those that were never sent are kept for Redis
   * too (see `MissedChanges`).
   */
  private countedHere(month: string, changes: CounterChange[], neverSent: boolean): CountedIn {
    const keptFor = neverSent ? this.missed : null;
    keptFor?.add(month, changes);
    return { inRedis: false, memoryEpoch: this.memoryEpoch, neverSent: keptFor !== null };
  }

  /**
   * A call to Redis failed: counting moves into this process, and the changes it carried are
   * counted here, except give-backs, which this process's counters never held: those are
   * dropped, and what they would have taken back may stay counted (Redis may have run the call).
   * Changes queued behind it were never sent: counted here too, and kept for Redis, give-backs
   * included (`MissedChanges`).
   */
  private callFailed(error: unknown, { sent, neverSent }: FailedChanges): void {
    const reason = errorMessage(error);
    this.noteFallback(reason);
    let dropped = 0;
    for (const [changes, unsent] of [
      [sent, false],
      [neverSent, true],
    ] as const) {
      for (const { month, changes: mine, whenRedisFails, settle } of changes) {
        if (whenRedisFails === 'count-here') {
          // Settled with where it was counted, before anything can drop these counters.
          const totals = this.changeLocally(month, mine);
          settle({ totals, countedIn: this.countedHere(month, mine, unsent) });
        } else {
          if (unsent) this.missed?.add(month, mine);
          else dropped += 1;
          settle({ totals: [], countedIn: { inRedis: true } });
        }
      }
    }
    if (dropped > 0) {
      this.logger.warn(
        `Could not make ${dropped} give-backs in Redis; they may stay counted: ${reason}`,
      );
    }
  }

  /**
   * Takes `amount` back from the store that counted it. If that was Redis, it is never taken from
   * this process's counters instead (they never held it): while Redis is not connected it is
   * kept for Redis's return (`MissedChanges`), and if its call fails it is dropped and logged.
   * Nor is it taken from this process's counters once they were dropped since: the new ones
   * (seeded afresh) never held it either. (A count never sent, and so added to Redis on its
   * return, then stays counted.)
   */
  async undo(month: string, key: string, amount: number, countedIn: CountedIn): Promise<void> {
    if (!countedIn.inRedis) {
      const giveBack = [{ key, amount: -amount }];
      if (this.stillHolds(countedIn)) this.changeLocally(month, giveBack);
      // Kept for Redis whatever became of these counters since, as the count it takes back was.
      if (countedIn.neverSent) this.missed?.add(month, giveBack);
      return;
    }
    if (!this.queue || this.redis?.status !== 'ready') {
      // Never sent: kept for Redis's return, when it holds the count this takes back.
      this.missed?.add(month, [{ key, amount: -amount }]);
      return;
    }
    // With other changes in one call, under load; should the call fail, nothing is taken here.
    await this.queue.push(month, [{ key, amount: -amount }], 'drop');
  }

  /** The same changes, for the rate limiter to apply with a hit it admits (see `change`). */
  alongside(month: string, changes: CounterChange[]): QuotaAlongside {
    let countedIn: CountedIn = { inRedis: true };
    return {
      shared: {
        keys: changes.map((change) => this.redisKey(month, change.key)),
        amounts: changes.map((change) => change.amount),
        ttlSeconds: COUNTER_TTL_SECONDS,
      },
      locally: (neverSent) => {
        const totals = this.changeLocally(month, changes);
        countedIn = this.countedHere(month, changes, neverSent);
        return totals;
      },
      countedIn: () => countedIn,
    };
  }

  read(month: string, keys: string[]): Promise<number[]> {
    return this.change(
      month,
      keys.map((key) => ({ key, amount: 0 })),
    );
  }

  /**
   * Whether `owner`'s counters still need what the database holds, the first time they are used
   * in a month: null when they have it (Redis holds its seed mark, or, while Redis is away, a
   * caller in this process claimed it). Redis is only asked here; the seed is settled there when
   * it is added (`applySeed`), so two replicas may both load the database, and one adds it.
   */
  async claimSeed(month: string, owner: string): Promise<SeedClaim | null> {
    let claimedHere: number | undefined;
    const needed = await this.shared(
      async (redis) => {
        const token = await redis.get(this.seedMark(month, owner));
        if (token !== null) this.missed?.seededInRedis(month, owner, token);
        return token === null;
      },
      () => {
        const claimed = this.claimLocalSeed(month, owner);
        // The life of the counters the claim was made in, not of those there by the answer.
        claimedHere = this.memoryEpoch;
        return claimed;
      },
    );
    if (!needed) return null;
    return claimedHere === undefined
      ? { month, owner, inRedis: true }
      : { month, owner, inRedis: false, memoryEpoch: claimedHere };
  }

  /**
   * Adds what the database holds for a claimed owner, as one change. In Redis, with the seed
   * mark, unless another replica set it first; if Redis cannot take it, into this process unless
   * a seed was claimed here already. A claim made in this process is dropped if this process's
   * counters were dropped since (Redis came back): its mark went with them, so the next outage
   * seeds afresh, and adding this one as well would count the database twice.
   */
  async applySeed(claim: SeedClaim, changes: CounterChange[]): Promise<void> {
    if (!claim.inRedis) {
      if (this.stillHolds(claim)) this.changeLocally(claim.month, changes);
      return;
    }
    await this.shared(
      async (redis) => {
        const token = await redis.keywardQuotaSeed(
          1 + changes.length,
          this.seedMark(claim.month, claim.owner),
          ...changes.map(({ key }) => this.redisKey(claim.month, key)),
          COUNTER_TTL_SECONDS,
          randomUUID(),
          ...changes.map(({ amount }) => boundedStep(amount)),
        );
        this.missed?.seededInRedis(claim.month, claim.owner, token);
      },
      () => {
        // Counted here instead, once. Should the call have run in Redis after all (its answer
        // timed out), these counters are dropped when Redis answers again.
        if (this.claimLocalSeed(claim.month, claim.owner)) this.changeLocally(claim.month, changes);
      },
    );
  }

  /** Gives a claimed seed back, when loading what the database holds failed. */
  releaseSeed(claim: SeedClaim): void {
    // A claim in Redis set nothing yet.
    if (!claim.inRedis && this.stillHolds(claim)) this.memorySeeds.delete(claim.owner);
  }

  /** Whether this process's counters are still the ones a change or claim was made in. */
  private stillHolds(place: { memoryEpoch: number }): boolean {
    return place.memoryEpoch === this.memoryEpoch;
  }

  private claimLocalSeed(month: string, owner: string): boolean {
    this.local(month);
    if (this.memorySeeds.has(owner)) return false;
    this.memorySeeds.add(owner);
    return true;
  }

  private async shared<T>(
    viaRedis: (redis: ScriptedRedis) => Promise<T>,
    locally: () => T,
  ): Promise<T> {
    if (!this.redis || this.redis.status !== 'ready') {
      if (this.redis) this.noteFallback('Redis not connected');
      return locally();
    }
    try {
      const result = await viaRedis(this.redis);
      this.noteAnswered();
      return result;
    } catch (error) {
      this.noteFallback(errorMessage(error));
      return locally();
    }
  }

  private changeLocally(month: string, changes: CounterChange[]): number[] {
    const counters = this.local(month);
    return changes.map(({ key, amount }) => {
      const total = (counters.get(key) ?? 0) + amount;
      if (amount !== 0) counters.set(key, total);
      return total;
    });
  }

  private local(month: string): Map<string, number> {
    if (month !== this.memoryMonth) {
      this.forgetLocal();
      this.memoryMonth = month;
    }
    return this.memory;
  }

  /** Drops this process's counters and their seeds. */
  private forgetLocal(): void {
    this.memory.clear();
    this.memorySeeds.clear();
    this.memoryEpoch += 1;
  }

  private seedMark(month: string, owner: string): string {
    return this.redisKey(month, `${owner}:seeded`);
  }

  private redisKey(month: string, key: string): string {
    return `${this.prefix}quota:${month}:${key}`;
  }

  /**
   * Counting is in Redis again, after a reconnect or, without one, after calls that timed out.
   * What this process counted meanwhile is dropped: a later outage starts again from what the
   * database holds. What was never sent goes to Redis after a reconnect, where its counter still
   * holds the same seed (`MissedChanges`); what was sent and timed out, while Redis hung without
   * closing, is not: Redis may have run it.
   */
  private backInRedis(): void {
    if (this.usingFallback) this.logger.log('Quota counters are counted in Redis again');
    this.usingFallback = false;
    this.forgetLocal();
    this.storeChanged();
  }

  /** A Redis call succeeded: ends a fallback that no reconnect ended. */
  private noteAnswered(): void {
    if (this.usingFallback) this.backInRedis();
  }

  /**
   * Counting moves into this process. Whatever it holds is dropped first: the rate limiter adds
   * a request here when its own Redis call failed (`alongside`), and such strays would otherwise
   * sit on top of the seed this outage starts from.
   */
  private noteFallback(reason: string): void {
    if (this.usingFallback) return;
    this.usingFallback = true;
    this.forgetLocal();
    this.logger.warn(`Quota counters fall back to in-process counting: ${reason}`);
    this.storeChanged();
  }
}
