import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { errorMessage } from '../common/error-message.js';

/**
 * While this replica cannot hear the channel (its Redis connection is down), how old a cached
 * value may get before it is read again: the same bound revocation is held to when all is well.
 */
export const UNHEARD_MAX_AGE_MS = 1_000;
/** Ids whose message is still to be sent once Redis is back; past this, the oldest are dropped. */
const UNSENT_MAX = 10_000;

/**
 * Tells every replica that something they cache has changed, through Redis pub/sub. Without
 * Redis there is one process and nothing to tell.
 *
 * A message can be missed: this replica's subscription drops (Redis restarts, the network
 * fails), or another replica could not send it. So caches ask `hasCoveredSince` before serving
 * a value: one read before the subscription last dropped or came back may have missed a change,
 * and while it is down values are trusted for UNHEARD_MAX_AGE_MS only. Messages that could not be
 * sent are sent when this replica's Redis connection is back.
 */
export class InvalidationChannel {
  private readonly logger: Logger;
  private subscriber: Redis | null = null;
  /** Whether changes are being heard right now. */
  private listening: boolean;
  /** When listening last started or stopped: a value read before it may have missed a change. */
  private heardSince = -Infinity;
  /** Ids whose message could not be sent yet, oldest first. */
  private readonly unsent = new Set<string>();

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
      subscriber.subscribe(this.channel).then(
        () => {
          if (this.subscriber !== subscriber) return;
          this.listening = true;
          this.heardSince = Date.now();
        },
        (error: unknown) => {
          this.logger.warn(`Cannot subscribe: ${errorMessage(error)}`);
        },
      );
    });
    subscriber.on('close', () => {
      if (!this.listening) return;
      this.listening = false;
      this.heardSince = Date.now();
      this.logger.warn(
        `Not hearing changes from other replicas: cached entries are read again after ${UNHEARD_MAX_AGE_MS} ms until Redis is back`,
      );
    });
    subscriber.on('message', (_channel: string, id: string) => {
      this.onInvalidated(id);
    });
    this.redis.on('ready', () => {
      void this.sendUnsent();
    });
    this.subscriber = subscriber;
  }

  stop(): void {
    const subscriber = this.subscriber;
    this.subscriber = null;
    subscriber?.disconnect();
  }

  /**
   * Whether a value read from the database at `readAt` (a `Date.now()` time) would have been told
   * of every change since: read after this replica last began or stopped hearing the channel,
   * and, while it does not hear it, no longer than UNHEARD_MAX_AGE_MS ago.
   */
  hasCoveredSince(readAt: number): boolean {
    if (!this.redis) return true;
    if (readAt <= this.heardSince) return false;
    return this.listening || Date.now() - readAt < UNHEARD_MAX_AGE_MS;
  }

  /**
   * Tells the other replicas (this one hears its own message too, which is harmless). Ids whose
   * message cannot be sent now are sent when this replica's Redis connection is back.
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

  private async sendUnsent(): Promise<void> {
    const redis = this.redis;
    if (redis?.status !== 'ready' || this.unsent.size === 0) return;
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
    // Kept for the next connect, behind anything queued meanwhile only if not queued again.
    for (const id of failed) if (!this.unsent.has(id)) this.unsent.add(id);
    this.logger.warn(
      `Could not broadcast ${failed.length} invalidations; sending them when Redis is back`,
    );
  }
}
