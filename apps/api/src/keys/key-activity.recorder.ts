import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { errorMessage } from '../common/error-message.js';

/** Bounds what waits in memory if the database stays away for long. */
const MAX_PENDING_KEYS = 100_000;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Records that keys were used without a database write per request: counts per key and day and
 * last-use times gather in memory and are written by one multi-row statement per flush. A key's
 * `last_used_at` is written at most once per resolution period (a minute by default).
 */
@Injectable()
export class KeyActivityRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KeyActivityRecorder.name);
  /** `${keyId}|${day}` -> requests not yet written */
  private counts = new Map<string, number>();
  /** secretId -> last use (of the secret and its key) not yet written */
  private lastUsed = new Map<string, { keyId: string; at: Date }>();
  /** secretId -> when its last use was last written */
  private readonly lastWritten = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** The UTC day last seen, and when it began: formatting a date on every guarded call showed. */
  private day = '';
  private dayStartMs = -DAY_MS;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.keys.activityFlushMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  /**
   * Writes everything left at shutdown. A flush already under way took its snapshot before the
   * last requests ended, so what they added is written by one more.
   */
  async drain(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  recordUse(keyId: string, secretId: string, now = new Date()): void {
    const countKey = `${keyId}|${this.dayOf(now)}`;
    if (this.counts.size < MAX_PENDING_KEYS || this.counts.has(countKey)) {
      this.counts.set(countKey, (this.counts.get(countKey) ?? 0) + 1);
    }
    const resolutionMs = this.config.keys.lastUsedResolutionSeconds * 1000;
    const written = this.lastWritten.get(secretId) ?? 0;
    if (now.getTime() - written >= resolutionMs && this.lastUsed.size < MAX_PENDING_KEYS) {
      this.lastUsed.set(secretId, { keyId, at: now });
    }
  }

  private dayOf(now: Date): string {
    const ms = now.getTime();
    if (ms < this.dayStartMs || ms >= this.dayStartMs + DAY_MS) {
      this.dayStartMs = ms - (ms % DAY_MS);
      this.day = now.toISOString().slice(0, 10);
    }
    return this.day;
  }

  /** Writes everything pending; concurrent callers share one flush. */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const counts = this.counts;
    const lastUsed = this.lastUsed;
    if (counts.size === 0 && lastUsed.size === 0) return;
    this.counts = new Map();
    this.lastUsed = new Map();
    const countRows = [...counts].map(([key, requests]) => {
      const [keyId, day] = key.split('|') as [string, string];
      return { keyId, day, requests };
    });
    const useRows = [...lastUsed].map(([secretId, use]) => ({ secretId, ...use }));
    try {
      await this.dataSource.query(WRITE_ACTIVITY, [
        countRows.map((row) => row.keyId),
        countRows.map((row) => row.day),
        countRows.map((row) => row.requests),
        useRows.map((row) => row.secretId),
        useRows.map((row) => row.keyId),
        useRows.map((row) => row.at.toISOString()),
      ]);
      const now = Date.now();
      for (const secretId of lastUsed.keys()) this.lastWritten.set(secretId, now);
      if (this.lastWritten.size > MAX_PENDING_KEYS) this.lastWritten.clear();
    } catch (error) {
      // Put the counts back so the next flush retries them; a last-use time is simply re-sent.
      for (const [key, requests] of counts) {
        this.counts.set(key, (this.counts.get(key) ?? 0) + requests);
      }
      for (const [secretId, use] of lastUsed) {
        if (!this.lastUsed.has(secretId)) this.lastUsed.set(secretId, use);
      }
      this.logger.warn(`Could not record key activity, will retry: ${errorMessage(error)}`);
    }
  }
}

/**
 * One statement per flush (the whole write is atomic without a transaction around it): the daily
 * counts of keys that still exist, and the last-use times of secrets and of their keys, per
 * secret too, so during a regeneration's grace period one can see whether the previous secret is
 * still in use.
 */
const WRITE_ACTIVITY = `
  WITH counted AS (
    INSERT INTO api_key_daily_usage (key_id, day, requests)
    SELECT r.key_id, r.day, r.requests
      FROM unnest($1::text[], $2::date[], $3::bigint[]) AS r(key_id, day, requests)
      JOIN api_keys k ON k.id = r.key_id
    ON CONFLICT (key_id, day) DO UPDATE SET requests = api_key_daily_usage.requests + EXCLUDED.requests
  ), secrets_used AS (
    UPDATE api_key_secrets s SET last_used_at = GREATEST(s.last_used_at, r.at)
      FROM unnest($4::text[], $6::timestamptz[]) AS r(secret_id, at)
     WHERE s.id = r.secret_id
  )
  UPDATE api_keys k SET last_used_at = GREATEST(k.last_used_at, r.at)
    FROM (SELECT key_id, max(at) AS at
            FROM unnest($5::text[], $6::timestamptz[]) AS u(key_id, at)
           GROUP BY key_id) r
   WHERE k.id = r.key_id`;
