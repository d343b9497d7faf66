import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DAY_MS } from '@keyward/shared';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { errorMessage } from '../common/error-message.js';
import { newId } from '../database/ids.js';
import { isValueRefused } from '../database/unavailable.js';

/** Bounds what waits in memory if the database stays away for long. */
const MAX_PENDING_KEYS = 100_000;

/** One flush's worth of activity, with the id that makes writing it twice add nothing. */
interface ActivityBatch {
  id: string;
  counts: Map<string, number>;
  lastUsed: Map<string, { keyId: string; at: Date }>;
}

/**
 * Records that keys were used without a database write per request: counts per key and day and
 * last-use times gather in memory and are written by one multi-row statement per flush. A key's
 * `last_used_at` is written at most once per resolution period (a minute by default).
 *
 * A write that fails is sent again as it was, under the same batch id, before anything newer:
 * when only its answer was lost (a timeout after the server committed), the database knows the
 * id and the counts are not added twice. One the database refused for its values is dropped.
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
  /** The batch whose write failed, to be sent again unchanged. */
  private unsettled: ActivityBatch | undefined;
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
    if (this.unsettled) {
      if (!(await this.write(this.unsettled))) return;
      this.unsettled = undefined;
    }
    if (this.counts.size === 0 && this.lastUsed.size === 0) return;
    const batch: ActivityBatch = {
      id: newId('kaf'),
      counts: this.counts,
      lastUsed: this.lastUsed,
    };
    this.counts = new Map();
    this.lastUsed = new Map();
    if (!(await this.write(batch))) this.unsettled = batch;
  }

  /**
   * Writes one batch; false when the write failed and should be sent again (it may still have
   * landed). A batch the database refused for its values is dropped, not sent again.
   */
  private async write(batch: ActivityBatch): Promise<boolean> {
    const countRows = [...batch.counts].map(([key, requests]) => {
      const [keyId, day] = key.split('|') as [string, string];
      return { keyId, day, requests };
    });
    const useRows = [...batch.lastUsed].map(([secretId, use]) => ({ secretId, ...use }));
    try {
      await this.dataSource.query(WRITE_ACTIVITY, [
        countRows.map((row) => row.keyId),
        countRows.map((row) => row.day),
        countRows.map((row) => row.requests),
        useRows.map((row) => row.secretId),
        useRows.map((row) => row.keyId),
        useRows.map((row) => row.at.toISOString()),
        batch.id,
      ]);
    } catch (error) {
      if (isValueRefused(error)) {
        // Sent again unchanged it would fail again, and hold back all activity after it.
        this.logger.error(
          `Key activity of ${countRows.length} key-days dropped: the database refused it (${errorMessage(error)})`,
        );
        return true;
      }
      this.logger.warn(`Could not record key activity, will retry: ${errorMessage(error)}`);
      return false;
    }
    const now = Date.now();
    for (const secretId of batch.lastUsed.keys()) this.lastWritten.set(secretId, now);
    if (this.lastWritten.size > MAX_PENDING_KEYS) this.lastWritten.clear();
    return true;
  }
}

/**
 * One statement per flush (the whole write is atomic without a transaction around it): the daily
 * counts of keys that still exist, unless this batch id was written before, and the last-use
 * times of secrets and of their keys (writing those twice changes nothing), per secret too, so
 * during a regeneration's grace period one can see whether the previous secret is still in use.
 * Batch ids are kept a day, far longer than a failed batch waits to be sent again.
 */
const WRITE_ACTIVITY = `
  WITH batch AS (
    INSERT INTO key_activity_flushes (id) VALUES ($7) ON CONFLICT (id) DO NOTHING RETURNING id
  ), forgotten AS (
    DELETE FROM key_activity_flushes WHERE written_at < now() - interval '1 day'
  ), counted AS (
    INSERT INTO api_key_daily_usage (key_id, day, requests)
    SELECT r.key_id, r.day, r.requests
      FROM unnest($1::text[], $2::date[], $3::bigint[]) AS r(key_id, day, requests)
      JOIN api_keys k ON k.id = r.key_id
     WHERE EXISTS (SELECT 1 FROM batch)
     -- The daily rows are locked in this order, so replicas' flushes take them in the same one.
     ORDER BY r.key_id, r.day
    ON CONFLICT (key_id, day) DO UPDATE SET requests = api_key_daily_usage.requests + EXCLUDED.requests
  ), secrets_used AS (
    -- Rows locked in id order, like the daily rows and the keys below: left to the planner, two
    -- replicas' flushes of the same keys could take them in opposite orders and deadlock.
    UPDATE api_key_secrets s SET last_used_at = GREATEST(s.last_used_at, r.at)
      FROM (SELECT locked.id, u.at
              FROM api_key_secrets locked
              JOIN unnest($4::text[], $6::timestamptz[]) AS u(secret_id, at) ON locked.id = u.secret_id
             ORDER BY locked.id
               FOR NO KEY UPDATE OF locked) r
     WHERE s.id = r.id
  )
  UPDATE api_keys k SET last_used_at = GREATEST(k.last_used_at, r.at)
    FROM (SELECT locked.id, u.at
            FROM api_keys locked
            JOIN (SELECT key_id, max(at) AS at
                    FROM unnest($5::text[], $6::timestamptz[]) AS u(key_id, at)
                   GROUP BY key_id) u ON locked.id = u.key_id
           ORDER BY locked.id
             FOR NO KEY UPDATE OF locked) r
   WHERE k.id = r.id`;
