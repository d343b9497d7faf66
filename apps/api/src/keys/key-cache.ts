import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { isStandingIn, staleOrRethrow } from '../common/stale-while-unavailable.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { InvalidationChannel } from '../redis/invalidation-channel.js';
import { REDIS } from '../redis/redis.module.js';
import type { VerifiedKey } from './verified-key.js';

const POSITIVE_MAX = 50_000;
const NEGATIVE_MAX = 100_000;
const NEGATIVE_TTL_MS = 60_000;

/**
 * In-process caches of the verification guard, bounded in size and age:
 * - known secrets (by hash) with what they grant, so a steady-state check costs no database trip;
 * - unknown hashes, so a flood of well-formed but wrong keys reaches the database once each.
 * Changes to a key evict it here at once and, through Redis pub/sub, in every other replica.
 */
@Injectable()
export class KeyCache implements OnModuleInit, OnApplicationShutdown {
  private readonly known: LRUCache<string, VerifiedKey>;
  private readonly unknown = new LRUCache<string, true>({
    max: NEGATIVE_MAX,
    ttl: NEGATIVE_TTL_MS,
  });
  /** keyId -> hashes cached for it, kept in step with `known` by its dispose hook. */
  private readonly hashesByKey = new Map<string, Set<string>>();
  private readonly invalidations: InvalidationChannel;
  hits = 0;
  misses = 0;
  /**
   * Bumped by every eviction. A lookup that started before an eviction must not cache what it
   * read, since the row may have changed after it was read.
   */
  generation = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(REDIS) redis: Redis | null) {
    this.invalidations = new InvalidationChannel(
      redis,
      `${config.redisKeyPrefix}key-invalidations`,
      (keyId) => {
        this.evictLocal(keyId);
      },
    );
    this.known = new LRUCache<string, VerifiedKey>({
      max: POSITIVE_MAX,
      ttl: config.keys.cacheTtlSeconds * 1000,
      // Expired entries stay (within `max`) for staleOrRethrow.
      noDeleteOnStaleGet: true,
      dispose: (value, hash) => {
        const hashes = this.hashesByKey.get(value.keyId);
        hashes?.delete(hash);
        if (hashes?.size === 0) this.hashesByKey.delete(value.keyId);
      },
    });
  }

  onModuleInit(): void {
    this.invalidations.start();
  }

  onApplicationShutdown(): void {
    this.invalidations.stop();
  }

  /**
   * The cached key for `hash`, unless it expired or may have missed a change (this replica not
   * hearing the other replicas' invalidations; see InvalidationChannel) and is not standing in
   * for a read the database just failed. Either way the entry stays for staleOrRethrow.
   */
  get(hash: string): VerifiedKey | undefined {
    const found = this.known.get(hash);
    if (found && (this.invalidations.covers(found) || isStandingIn(found))) {
      this.hits += 1;
      return found;
    }
    this.misses += 1;
    return undefined;
  }

  /** Caches a lookup unless an eviction happened since `readAtGeneration`. */
  set(hash: string, key: VerifiedKey, readAtGeneration: number): void {
    if (readAtGeneration !== this.generation) return;
    this.known.set(hash, key);
    let hashes = this.hashesByKey.get(key.keyId);
    if (!hashes) {
      hashes = new Set();
      this.hashesByKey.set(key.keyId, hashes);
    }
    hashes.add(hash);
  }

  /**
   * For a lookup that failed with `error`: a key whose cache lifetime has run out stands in when
   * the database cannot be reached to look it up again (else `error` is thrown on). Nothing about
   * it can change while the database is away (a change that did reach it before still evicts it
   * here through the invalidation channel), and its expiry dates are checked on every request.
   * Not past STALE_WHILE_UNAVAILABLE_MS from its last read.
   */
  staleOrRethrow(hash: string, error: unknown): VerifiedKey {
    return staleOrRethrow(this.known, hash, error);
  }

  isKnownUnknown(hash: string): boolean {
    return this.unknown.has(hash);
  }

  rememberUnknown(hash: string): void {
    this.unknown.set(hash, true);
  }

  /** Evicts a key here and in every replica. Call after the change is committed. */
  async invalidate(keyIds: string[]): Promise<void> {
    for (const keyId of keyIds) this.evictLocal(keyId);
    await this.invalidations.publish(keyIds);
  }

  private evictLocal(keyId: string): void {
    this.generation += 1;
    const hashes = this.hashesByKey.get(keyId);
    if (!hashes) return;
    for (const hash of [...hashes]) this.known.delete(hash);
    this.hashesByKey.delete(keyId);
  }

  get size(): { known: number; unknown: number } {
    return { known: this.known.size, unknown: this.unknown.size };
  }
}
