import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  CAPABILITIES,
  type Capability,
  type CredentialStatus,
  type ProviderId,
} from '@keyward/shared';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { DataSource } from 'typeorm';
import { SingleFlight } from '../common/single-flight.js';
import {
  isStandingIn,
  readFromDatabase,
  staleOrRethrow,
} from '../common/stale-while-unavailable.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { InvalidationChannel } from '../redis/invalidation-channel.js';
import { REDIS } from '../redis/redis.module.js';
import { CredentialVault } from './credential-vault.js';

export interface UsableCredential {
  id: string;
  apiKey: string;
}

interface SealedCredential {
  id: string;
  provider: ProviderId;
  status: CredentialStatus;
  ciphertext: Buffer;
  wrappedKey: Buffer;
  keyVersion: string;
}

/** What the guarded API needs to know of one owner's providers, read once and cached. */
interface OwnerProviders {
  /** Best first: verified keys before unchecked ones, the most recently verified first. */
  credentials: SealedCredential[];
  order: Map<Capability, ProviderId[]>;
}

const MAX_OWNERS = 20_000;
/** Bounds staleness should another replica's invalidation never be sent; changes evict at once. */
const TTL_MS = 60_000;
/** Statuses whose keys the gateway skips: the last check found them rejected or out of credit. */
const UNUSABLE: CredentialStatus[] = ['invalid', 'insufficient_quota'];

/**
 * An owner's stored credentials and provider order at the moment of a guarded call, without a
 * database trip per request: each owner's set is read once, kept sealed in memory (opened per
 * call), and evicted here and in every replica whenever a credential or the order changes.
 */
@Injectable()
export class CredentialLookup implements OnModuleInit, OnApplicationShutdown {
  private readonly cache = new LRUCache<string, OwnerProviders>({
    max: MAX_OWNERS,
    ttl: TTL_MS,
    // Expired entries stay (within `max`) for staleOrRethrow.
    noDeleteOnStaleGet: true,
  });
  /** One read per owner at a time, however many requests arrive while it runs. */
  private readonly loading = new SingleFlight<string, OwnerProviders>();
  private readonly invalidations: InvalidationChannel;
  /** Bumped by every eviction; a read that began before one is neither cached nor joined. */
  private generation = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) redis: Redis | null,
    private readonly vault: CredentialVault,
  ) {
    this.invalidations = new InvalidationChannel(
      redis,
      `${config.redisKeyPrefix}owner-provider-invalidations`,
      (userId) => {
        this.evictLocal(userId);
      },
    );
  }

  onModuleInit(): void {
    this.invalidations.start();
  }

  onApplicationShutdown(): void {
    this.invalidations.stop();
  }

  /** The owner's best usable credential for a provider, decrypted for one outbound call. */
  async usable(userId: string, provider: ProviderId): Promise<UsableCredential | null> {
    const { credentials } = await this.forOwner(userId);
    const sealed = credentials.find(
      (credential) => credential.provider === provider && !UNUSABLE.includes(credential.status),
    );
    if (!sealed) return null;
    const apiKey = this.vault.open({ id: sealed.id, userId, provider }, sealed);
    return { id: sealed.id, apiKey };
  }

  /**
   * Providers where the owner holds a credential the gateway would use (`usable`): any but one
   * the provider refused, so the model list names exactly what a call may go to.
   */
  async usableProviders(userId: string): Promise<ProviderId[]> {
    const { credentials } = await this.forOwner(userId);
    const usable = credentials.filter((credential) => !UNUSABLE.includes(credential.status));
    return [...new Set(usable.map((credential) => credential.provider))].sort();
  }

  /** The owner's preferred provider order for a capability (empty when never set). */
  async preferredOrder(userId: string, capability: Capability): Promise<ProviderId[]> {
    return (await this.forOwner(userId)).order.get(capability) ?? [];
  }

  /** Call after a change to an owner's credentials or provider order has been committed. */
  async invalidate(userId: string): Promise<void> {
    this.evictLocal(userId);
    await this.invalidations.publish([userId]);
  }

  private forOwner(userId: string): Promise<OwnerProviders> {
    const cached = this.cache.get(userId);
    if (cached && (this.invalidations.covers(cached) || isStandingIn(cached))) {
      return Promise.resolve(cached);
    }
    const generation = this.generation;
    return this.loading.run(userId, generation, () => {
      const startedAt = Date.now();
      return (
        this.read(userId)
          .then((owner) => readFromDatabase(owner, startedAt))
          // The database cannot be reached: an owner in use goes on with what was last read
          // (changes evict it at once, and none can be made while the database is away).
          .catch((error: unknown) => staleOrRethrow(this.cache, userId, error))
          .then((owner) => {
            if (generation === this.generation) this.cache.set(userId, owner);
            return owner;
          })
      );
    });
  }

  private async read(userId: string): Promise<OwnerProviders> {
    const [credentials, preferences] = await Promise.all([
      this.dataSource.query<
        {
          id: string;
          provider: ProviderId;
          status: CredentialStatus;
          ciphertext: Buffer;
          wrapped_key: Buffer;
          key_version: string;
        }[]
      >(
        `SELECT id, provider, status, ciphertext, wrapped_key, key_version FROM provider_credentials
          WHERE user_id = $1
          ORDER BY (status = 'valid') DESC, last_verified_at DESC NULLS LAST, created_at DESC`,
        [userId],
      ),
      this.dataSource.query<{ capability: Capability; provider_order: ProviderId[] }[]>(
        'SELECT capability, provider_order FROM provider_preferences WHERE user_id = $1',
        [userId],
      ),
    ]);
    return {
      credentials: credentials.map((row) => ({
        id: row.id,
        provider: row.provider,
        status: row.status,
        ciphertext: row.ciphertext,
        wrappedKey: row.wrapped_key,
        keyVersion: row.key_version,
      })),
      order: new Map(
        preferences
          .filter((row) => CAPABILITIES.includes(row.capability))
          .map((row) => [row.capability, row.provider_order]),
      ),
    };
  }

  private evictLocal(userId: string): void {
    this.generation += 1;
    this.cache.delete(userId);
  }
}
