import { performance } from 'node:perf_hooks';
import type { RedisRateLimitStore, WindowGrant } from './redis-rate-limit.store.js';
import type { RateLimitDecision } from './sliding-window.js';

/**
 * Besides the hits waiting, a call to Redis takes a sixteenth of the window's remaining room as
 * spare admissions for this replica to grant without asking again. Below 16 that is none, so
 * the last admissions of a window are counted exactly, as many as are waiting at a time.
 */
const SPARE_SHARE = 16;

/** Spare admissions a replica has not used by then go back, so no other replica waits on them. */
export const LEASE_TTL_MS = 200;

const MAX_LEASES = 100_000;

/**
 * Local times are from the monotonic clock: a wall clock stepped back would stretch a lease past
 * its window, and its spares could then be granted in a window that never counted them.
 */
const monotonicNow = (): number => performance.now();

interface Lease {
  limit: number;
  windowMs: number;
  /** Start of the Redis window the admissions were counted in (Redis's clock). */
  windowStart: number;
  /** Admissions counted in Redis and not yet handed out here. */
  spare: number;
  /** Local (monotonic) time after which the spare ones go back. */
  validUntil: number;
  /** Local (monotonic) time the window ends, counted from when the call was sent. */
  windowEndsAt: number;
  /** Room left in Redis after the grant, for the RateLimit-Remaining header. */
  roomAfter: number;
  /** A Redis call in flight for this key; hits arriving meanwhile wait for its answer. */
  asking?: Promise<WindowGrant>;
  /** Callers waiting on `asking`. */
  waiting: number;
}

/** Whether the lease can grant one more admission now. */
const hasSpare = (lease: Lease, now: number): boolean => lease.spare > 0 && now < lease.validUntil;

/**
 * Per-key limits through Redis without a round trip per request. Each call to Redis counts the
 * admissions this replica needs now plus, while the window has plenty of room, a spare share it
 * hands out locally; calls for the same key are never in flight twice, and hits that arrive
 * meanwhile are counted by the next one together.
 *
 * What holds: every admission is counted in Redis before it is granted, so all replicas together
 * never admit more than the limit. A refusal comes from Redis finding the window full; the only
 * admissions it cannot see as free are other replicas' spares, at most a sixteenth of the room
 * they were taken from, and only for LEASE_TTL_MS before they are given back. Near the limit
 * there are no spares at all.
 */
export class RateLimitLeases {
  private readonly leases = new Map<string, Lease>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly store: RedisRateLimitStore,
    private readonly onGiveBackFailed: (error: unknown) => void,
    private readonly ttlMs = LEASE_TTL_MS,
  ) {
    this.sweeper = setInterval(
      () => {
        this.giveBackExpired();
      },
      Math.min(ttlMs, LEASE_TTL_MS),
    );
    this.sweeper.unref();
  }

  /** At shutdown: every spare still held goes back, so other replicas can use it at once. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.leases].map(([key, lease]) => this.giveBack(key, lease)));
    this.leases.clear();
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    for (;;) {
      const now = monotonicNow();
      let lease = this.leases.get(key);
      if (lease?.asking && (lease.limit !== limit || lease.windowMs !== windowMs)) {
        // Its limit was edited while a call was out: let that call land before replacing it.
        await lease.asking.catch(() => undefined);
        continue;
      }
      if (lease && (lease.limit !== limit || lease.windowMs !== windowMs)) {
        // The key's limit was edited: what was taken under the old one goes back.
        void this.giveBack(key, lease);
        lease = undefined;
      }
      if (lease && hasSpare(lease, now)) {
        lease.spare -= 1;
        return this.admitted(lease, now);
      }
      const asking = lease?.asking;
      if (lease && asking) {
        // Counted as waiting until this hit resumes, so a call made by a hit that resumed
        // before it asks for it too.
        const waitingOn = lease;
        waitingOn.waiting += 1;
        let grant: WindowGrant;
        try {
          grant = await asking;
        } finally {
          waitingOn.waiting -= 1;
        }
        // Redis found the window full when asked on this hit's behalf: that is the answer.
        const after = this.leases.get(key);
        if (grant.granted === 0 && !(after && hasSpare(after, monotonicNow()))) {
          return grant.refusal;
        }
        continue;
      }
      const grant = await this.ask(key, limit, windowMs, lease, now);
      if (grant.granted === 0) return grant.refusal;
      const current = this.leases.get(key);
      if (current) return this.admitted(current, monotonicNow());
    }
  }

  /** One Redis call for this key: the caller, whoever is waiting, and a spare share. */
  private ask(
    key: string,
    limit: number,
    windowMs: number,
    previous: Lease | undefined,
    now: number,
  ): Promise<WindowGrant> {
    const lease: Lease = previous ?? {
      limit,
      windowMs,
      windowStart: 0,
      spare: 0,
      validUntil: 0,
      windowEndsAt: 0,
      roomAfter: 0,
      waiting: 0,
    };
    // Unused spares of an expired lease go back in the same call.
    const returned =
      previous && previous.spare > 0
        ? { windowStart: previous.windowStart, count: previous.spare }
        : undefined;
    lease.spare = 0;
    // Deadlines count from before the call: Redis read its clock after this, so the window
    // ends no earlier than this replica believes.
    const sent = monotonicNow();
    const asking = this.store
      .take(key, limit, windowMs, 1 + lease.waiting, SPARE_SHARE, returned)
      .then((grant) => {
        // The caller takes one; the rest wait in `spare` for the hits queued behind this call.
        lease.spare = Math.max(0, grant.granted - 1);
        lease.windowStart = grant.windowStart;
        lease.windowEndsAt = sent + grant.untilWindowEnds;
        lease.validUntil = Math.min(lease.windowEndsAt, sent + this.ttlMs);
        lease.roomAfter = grant.roomAfter;
        return grant;
      })
      .finally(() => {
        lease.asking = undefined;
      });
    lease.asking = asking;
    this.remember(key, lease, now);
    return asking;
  }

  private admitted(lease: Lease, now: number): RateLimitDecision {
    return {
      allowed: true,
      limit: lease.limit,
      remaining: Math.max(0, lease.roomAfter + lease.spare),
      retryAfterSeconds: 0,
      resetSeconds: Math.max(1, Math.ceil((lease.windowEndsAt - now) / 1000)),
    };
  }

  private remember(key: string, lease: Lease, now: number): void {
    this.leases.delete(key);
    this.leases.set(key, lease);
    if (this.leases.size > MAX_LEASES) this.trim(now);
  }

  /**
   * Gives back spares held past their time and forgets idle leases (a timer calls it; `now` can
   * be moved for tests).
   */
  giveBackExpired(now = monotonicNow()): void {
    for (const [key, lease] of this.leases) {
      if (lease.asking || now < lease.validUntil) continue;
      void this.giveBack(key, lease);
      this.leases.delete(key);
    }
  }

  /** Back to nine tenths of the bound, oldest first, never a lease whose call is still out. */
  private trim(now: number): void {
    this.giveBackExpired(now);
    for (const [key, lease] of this.leases) {
      if (this.leases.size <= MAX_LEASES * 0.9) break;
      if (lease.asking) continue;
      void this.giveBack(key, lease);
      this.leases.delete(key);
    }
  }

  private async giveBack(key: string, lease: Lease): Promise<void> {
    if (lease.spare <= 0) return;
    const count = lease.spare;
    lease.spare = 0;
    try {
      await this.store.giveBack(key, lease.windowStart, count);
    } catch (error) {
      this.onGiveBackFailed(error);
    }
  }
}
