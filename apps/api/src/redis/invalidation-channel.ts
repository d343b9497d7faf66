import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { errorMessage } from '../common/error-message.js';
import { readAtOf } from '../common/stale-while-unavailable.js';

/**
 * While this replica cannot hear the channel (its Redis connection is down), how old a cached
 * value may get before it is read again: the same bound revocation is held to when all is well.
 */
export const UNHEARD_MAX_AGE_MS = 1_000;
/**
 * How often the subscription is checked with a PING. A subscriber only listens, so a connection
 * that went silent without closing (a network partition, a frozen server) shows nowhere else.
 */
const HEARTBEAT_MS = 500;
/** No answer to any PING for this long counts as a lost subscription. */
const SILENCE_MS = 1_500;
/** After Redis refused a SUBSCRIBE outright (an ACL, a proxy without pub/sub): try again then. */
const REFUSED_RETRY_MS = 30_000;
/** How soon ids that could not be sent are tried again while the connection stays up. */
const RESEND_MS = 1_000;
/** Ids whose message is still to be sent; past this, the oldest are dropped. */
const UNSENT_MAX = 10_000;

/**
 * Tells every replica that something they cache has changed, through Redis pub/sub. Without
 * Redis there is one process and nothing to tell.
 *
 * A message can be missed: this replica's subscription drops or goes silent (Redis restarts, the
 * network fails), or another replica could not send it. So caches ask `hasCoveredSince` before
 * serving a value: one read before the subscription was last lost or regained may have missed a
 * change, and while it is lost values are trusted for UNHEARD_MAX_AGE_MS only. Messages this
 * replica could not send are sent again until they go.
 */
export class InvalidationChannel {
  private readonly logger: Logger;
  private subscriber: Redis | null = null;
  /** Whether changes are being heard right now. */
  private listening: boolean;
  /** When listening last started or stopped: a value read before it may have missed a change. */
  private heardSince = -Infinity;
  /** Bumped on every lost connection, so a subscription confirmed after one is not believed. */
  private connection = 0;
  /** When the subscriber last answered (a confirmed SUBSCRIBE or a PING). */
  private lastAnswerAt = -Infinity;
  private heartbeat: NodeJS.Timeout | undefined;
  private resend: NodeJS.Timeout | undefined;
  /** Ids whose message could not be sent yet, oldest first. */
  private readonly unsent = new Set<string>();
  private readonly sendUnsentOnReady = (): void => {
    void this.sendUnsent();
  };

  constructor(
    private readonly redis: Redis | null,
    private readonly channel: string,
    private readonly onInvalidated: (id: string) => void,
  ) {
    this.logger = new Logger(`InvalidationChannel(${channel})`);
    this.listening = redis === null;
  }

  start(): void {
    if (!this.redis) return;
    // Subscribing takes a connection of its own. It subscribes afresh on each connect (rather
    // than letting the client resubscribe on its own) so the moment it is heard again is known.
    const subscriber = this.redis.duplicate({ autoResubscribe: false });
    subscriber.on('error', () => {
      // The main client reports Redis outages.
    });
    subscriber.on('ready', () => {
      this.subscribe(subscriber);
    });
    subscriber.on('close', () => {
      if (this.subscriber === subscriber) this.markLost();
    });
    subscriber.on('message', (_channel: string, id: string) => {
      this.onInvalidated(id);
    });
    this.redis.on('ready', this.sendUnsentOnReady);
    this.subscriber = subscriber;
    this.heartbeat = setInterval(() => {
      // Judged after this turn's I/O: a process paused for a while (a long garbage collection,
      // a busy machine) first reads the answers that arrived meanwhile, and is not fooled.
      setImmediate(() => {
        if (!this.listening || this.subscriber !== subscriber) return;
        if (Date.now() - this.lastAnswerAt > SILENCE_MS) {
          this.lose(subscriber);
          return;
        }
        subscriber.ping().then(
          () => {
            this.lastAnswerAt = Date.now();
          },
          () => {
            // Judged by the silence above, not by one command's timeout.
          },
        );
      });
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  stop(): void {
    const subscriber = this.subscriber;
    this.subscriber = null;
    clearInterval(this.heartbeat);
    clearTimeout(this.resend);
    this.redis?.off('ready', this.sendUnsentOnReady);
    subscriber?.disconnect();
  }

  /**
   * Whether a value read from the database at `readAt` (a `Date.now()` time, taken before the
   * read began) would have been told of every change since: read after this replica last began
   * or stopped hearing the channel, and, while it does not hear it, less than
   * UNHEARD_MAX_AGE_MS ago.
   */
  hasCoveredSince(readAt: number): boolean {
    if (!this.redis) return true;
    if (readAt <= this.heardSince) return false;
    return this.listening || Date.now() - readAt < UNHEARD_MAX_AGE_MS;
  }

  /** `hasCoveredSince` for a value marked by `readFromDatabase` (never true of an unmarked one). */
  covers(value: object): boolean {
    // Checked on every guarded request: one process (no Redis) has nothing to look up.
    if (!this.redis) return true;
    return this.hasCoveredSince(readAtOf(value) ?? -Infinity);
  }

  /**
   * Tells the other replicas (this one hears its own message too, which is harmless). Ids whose
   * message cannot be sent now are sent again until they go.
   */
  async publish(ids: string[]): Promise<void> {
    if (!this.redis) return;
    for (const id of ids) {
      this.unsent.delete(id);
      this.unsent.add(id);
    }
    for (const id of this.unsent) {
      if (this.unsent.size <= UNSENT_MAX) break;
      this.unsent.delete(id);
    }
    await this.sendUnsent();
  }

  private subscribe(subscriber: Redis): void {
    const connection = this.connection;
    const current = () => this.subscriber === subscriber && connection === this.connection;
    subscriber.subscribe(this.channel).then(
      () => {
        if (!current()) return;
        this.listening = true;
        this.heardSince = Date.now();
        this.lastAnswerAt = Date.now();
      },
      (error: unknown) => {
        if (!current()) return;
        if (error instanceof Error && error.name === 'ReplyError') {
          // Refused, not lost: reconnecting would only be refused again.
          this.logger.warn(
            `Redis refused to subscribe (${errorMessage(error)}); cached entries are read again after ${UNHEARD_MAX_AGE_MS} ms`,
          );
          setTimeout(() => {
            if (current()) this.subscribe(subscriber);
          }, REFUSED_RETRY_MS).unref();
          return;
        }
        this.logger.warn(`Cannot subscribe, reconnecting: ${errorMessage(error)}`);
        this.lose(subscriber);
      },
    );
  }

  /** A subscription that failed or went silent: stop trusting it, and connect afresh. */
  private lose(subscriber: Redis): void {
    this.markLost();
    subscriber.disconnect(true);
  }

  private markLost(): void {
    this.connection += 1;
    if (!this.listening) return;
    this.listening = false;
    this.heardSince = Date.now();
    this.logger.warn(
      `Not hearing changes from other replicas: cached entries are read again after ${UNHEARD_MAX_AGE_MS} ms until Redis is back`,
    );
  }

  private async sendUnsent(): Promise<void> {
    const redis = this.redis;
    if (!redis || this.unsent.size === 0 || !this.subscriber) return;
    if (redis.status !== 'ready') {
      this.retryUnsent();
      return;
    }
    const ids = [...this.unsent];
    this.unsent.clear();
    const failed: string[] = [];
    await Promise.all(
      ids.map((id) =>
        redis.publish(this.channel, id).catch(() => {
          failed.push(id);
        }),
      ),
    );
    if (failed.length === 0) return;
    for (const id of failed) if (!this.unsent.has(id)) this.unsent.add(id);
    this.logger.warn(`Could not broadcast ${failed.length} invalidations; trying again`);
    this.retryUnsent();
  }

  private retryUnsent(): void {
    if (this.resend) return;
    this.resend = setTimeout(() => {
      this.resend = undefined;
      void this.sendUnsent();
    }, RESEND_MS);
    this.resend.unref();
  }
}
