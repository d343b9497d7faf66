import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { errorMessage } from '../common/error-message.js';

/**
 * Tells every replica that something they cache has changed, through Redis pub/sub. Without
 * Redis there is one process and nothing to tell. A message lost while Redis is away is covered
 * by the caches' own TTLs, which bound how stale an entry can get.
 */
export class InvalidationChannel {
  private readonly logger: Logger;
  private subscriber: Redis | null = null;

  constructor(
    private readonly redis: Redis | null,
    private readonly channel: string,
    private readonly onInvalidated: (id: string) => void,
  ) {
    this.logger = new Logger(`InvalidationChannel(${channel})`);
  }

  start(): void {
    if (!this.redis) return;
    // Subscribing takes a connection of its own; it may queue while Redis reconnects.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true });
    subscriber.on('error', () => {
      // The main client reports Redis outages.
    });
    subscriber.on('message', (_channel: string, id: string) => {
      this.onInvalidated(id);
    });
    subscriber.subscribe(this.channel).catch((error: unknown) => {
      this.logger.warn(`Cannot subscribe: ${errorMessage(error)}`);
    });
    this.subscriber = subscriber;
  }

  stop(): void {
    this.subscriber?.disconnect();
  }

  /** Tells the other replicas (this one hears its own message too, which is harmless). */
  async publish(ids: string[]): Promise<void> {
    const redis = this.redis;
    if (redis?.status !== 'ready') return;
    try {
      await Promise.all(ids.map((id) => redis.publish(this.channel, id)));
    } catch (error) {
      this.logger.warn(`Could not broadcast an invalidation: ${errorMessage(error)}`);
    }
  }
}
