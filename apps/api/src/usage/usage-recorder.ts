import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { UsageAttempt } from '@keyward/shared';
import type { DataSource } from 'typeorm';
import { errorMessage } from '../common/error-message.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { newId } from '../database/ids.js';
import { isValueRefused } from '../database/unavailable.js';
import { stateFilePath } from './recorder-state.js';
import { UnwrittenEventsReport } from './unwritten-events-report.js';

export interface UsageEvent {
  id: string;
  occurredAt: Date;
  userId: string;
  keyId: string;
  route: string;
  method: string;
  status: number;
  success: boolean;
  latencyMs: number;
  provider: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  clientIp: string | null;
  userAgent: string | null;
  errorCode: string | null;
  attempts: UsageAttempt[];
  billable: boolean;
}

const MAX_BACKOFF_MS = 30_000;
/** How long shutdown keeps retrying a database that is away before giving up. */
const SHUTDOWN_FLUSH_MS = 10_000;
/** How long the drain waits for cut streams to record their events. */
const HOLD_WAIT_MS = 2_000;

/**
 * Every guarded request becomes one usage event, without a database write per request: events
 * wait in memory and are written by one statement per batch, which also adds them to the daily
 * rollups. A failed write keeps the batch and retries with backoff; shutdown writes what is left.
 * A small state file in DATA_DIR follows the buffer's size, off the request path, so a run that
 * was killed before writing its buffer is reported by the next start.
 */
@Injectable()
export class UsageRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UsageRecorder.name);
  private pending: UsageEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;
  private dropped = 0;
  /** Events the database refused for their values, dropped alone (see writeAround). */
  private refused = 0;
  /** Every failed write since start (for metrics; `failures` counts the current streak). */
  private failedWrites = 0;
  private stopped = false;
  /** When the oldest unwritten event joined the buffer. */
  private waitingSince = 0;
  private readonly unwritten: UnwrittenEventsReport;
  /** Streamed answers whose event is still to come (see hold). */
  private holds = 0;
  private released: (() => void) | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.unwritten = new UnwrittenEventsReport(
      stateFilePath(config.dataDir, config.instanceId),
      () => this.pending,
      this.logger,
    );
  }

  onModuleInit(): void {
    this.unwritten.open(this.config.usageRecording.enabled);
    if (!this.config.usageRecording.enabled) return;
    // The timer writes only events that have waited a whole interval: under load, full batches
    // go out on their own and no half-empty statement is added between them.
    const interval = this.config.usageRecording.flushIntervalMs;
    this.timer = setInterval(
      () => {
        if (this.pending.length > 0 && Date.now() - this.waitingSince >= interval) {
          void this.flush();
        }
      },
      Math.max(25, Math.floor(interval / 4)),
    );
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  /**
   * Writes everything left, retrying a database that is briefly away. Runs when the HTTP server
   * has closed (see app.factory), after the last response and before the database closes.
   */
  async drain(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.holds > 0) {
      await Promise.race([
        new Promise<void>((resolve) => {
          this.released = resolve;
        }),
        new Promise((resolve) => setTimeout(resolve, HOLD_WAIT_MS)),
      ]);
    }
    const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
    while (this.pending.length > 0 || this.flushing) {
      this.retryAt = 0;
      await this.flush();
      if (this.pending.length === 0) break;
      if (Date.now() > deadline) {
        this.logger.error(`Shutting down with ${this.pending.length} usage events unwritten`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await this.unwritten.close();
  }

  /**
   * A streamed answer cut off at the shutdown timeout records its event when its body has closed,
   * which can be just after the HTTP server closed: the drain waits for it. The returned function
   * releases the hold (once).
   */
  hold(): () => void {
    this.holds += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.holds -= 1;
      if (this.holds === 0) this.released?.();
    };
  }

  record(event: Omit<UsageEvent, 'id'>): void {
    if (!this.config.usageRecording.enabled) return;
    if (this.pending.length === 0) this.waitingSince = Date.now();
    this.pending.push({ id: newId('req'), ...event });
    const max = this.config.usageRecording.bufferMaxEvents;
    if (this.pending.length > max) {
      // Bounded memory during a long outage: the oldest go first, and the loss is reported.
      const excess = this.pending.length - max;
      this.pending.splice(0, excess);
      this.dropped += excess;
      this.logger.error(`Usage buffer full: dropped ${this.dropped} events so far`);
    }
    if (this.pending.length >= this.config.usageRecording.flushBatchSize && !this.stopped) {
      void this.flush();
    }
  }

  get backlog(): number {
    return this.pending.length;
  }

  get stats(): {
    backlog: number;
    failedWrites: number;
    dropped: number;
    refused: number;
    lostAtPreviousStop: number;
  } {
    return {
      backlog: this.pending.length,
      failedWrites: this.failedWrites,
      dropped: this.dropped,
      refused: this.refused,
      lostAtPreviousStop: this.unwritten.lostAtPreviousStop,
    };
  }

  /** Writes what is pending, in batches; concurrent callers share one flush. */
  flush(): Promise<void> {
    if (Date.now() < this.retryAt) return Promise.resolve();
    this.flushing ??= this.writePending().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const batchSize = this.config.usageRecording.flushBatchSize;
    const interval = this.config.usageRecording.flushIntervalMs;
    while (this.pending.length > 0) {
      // A partial batch that has not waited an interval yet waits for more company (or for the
      // timer), except at shutdown, when everything goes.
      const partial = this.pending.length < batchSize;
      if (partial && !this.stopped && Date.now() - this.waitingSince < interval) return;
      const batch = this.pending.slice(0, batchSize);
      try {
        await this.writeAround(batch);
      } catch (error) {
        this.failures += 1;
        this.failedWrites += 1;
        const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 10));
        this.retryAt = Date.now() + backoff;
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.logger.warn(
            `Could not write ${this.pending.length} usage events (attempt ${this.failures}), retrying in ${backoff} ms: ${errorMessage(error)}`,
          );
        }
        return;
      }
      // Only now leave the buffer: a write that failed keeps every event of its batch.
      this.pending.splice(0, batch.length);
      this.waitingSince = Date.now();
      if (this.failures > 0) this.logger.log('Usage events are being written again');
      this.failures = 0;
      this.retryAt = 0;
    }
  }

  /**
   * Writes a batch; if the database refuses it for its values, writes what it takes of it and
   * drops only the events it refuses alone, so one event it will never take cannot hold back
   * every event behind it. Found by halving: a few statements for one such event in a batch.
   * An error of any other kind is thrown and the whole batch waits for the retry; halves already
   * written are skipped then by their ids.
   */
  private async writeAround(batch: UsageEvent[]): Promise<void> {
    try {
      await this.write(batch);
    } catch (error) {
      if (!isValueRefused(error)) throw error;
      if (batch.length === 1) {
        this.refused += 1;
        const [event] = batch;
        this.logger.error(
          `Usage event ${event?.id ?? ''} of key ${event?.keyId ?? ''} dropped: the database refused it (${errorMessage(error)})`,
        );
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.writeAround(batch.slice(0, half));
      await this.writeAround(batch.slice(half));
    }
  }

  /**
   * One statement: the events go in (a re-sent batch after an unclear failure is skipped by id),
   * and exactly the rows that went in are added to the daily rollups.
   */
  private async write(batch: UsageEvent[]): Promise<void> {
    await this.dataSource.query(
      WRITE_EVENTS,
      EVENT_COLUMNS.map(([, , valueOf]) => batch.map(valueOf)),
    );
  }
}

type Column = [name: string, sqlType: string, valueOf: (event: UsageEvent) => unknown];

/**
 * The events travel as one typed array per column, which PostgreSQL unnests into rows. Parsing
 * arrays costs the server about a third of what one JSON document per batch did, and the
 * database shares its machine with the API in small deployments.
 */
const EVENT_COLUMNS: Column[] = [
  ['id', 'text', (event) => event.id],
  ['occurred_at', 'timestamptz', (event) => event.occurredAt.toISOString()],
  ['user_id', 'text', (event) => event.userId],
  ['key_id', 'text', (event) => event.keyId],
  ['route', 'text', (event) => event.route],
  ['method', 'text', (event) => event.method],
  ['status', 'integer', (event) => event.status],
  ['success', 'boolean', (event) => event.success],
  ['latency_ms', 'integer', (event) => event.latencyMs],
  ['provider', 'text', (event) => event.provider],
  ['model', 'text', (event) => event.model],
  ['input_tokens', 'integer', (event) => event.inputTokens],
  ['output_tokens', 'integer', (event) => event.outputTokens],
  ['cost_micros', 'bigint', (event) => event.costMicros],
  ['client_ip', 'text', (event) => event.clientIp],
  ['user_agent', 'text', (event) => event.userAgent],
  ['error_code', 'text', (event) => event.errorCode],
  ['attempts', 'jsonb', (event) => JSON.stringify(event.attempts)],
  ['billable', 'boolean', (event) => event.billable],
];

const WRITE_EVENTS = `WITH inserted AS (
    INSERT INTO usage_events (${EVENT_COLUMNS.map(([name]) => name).join(', ')})
    SELECT * FROM unnest(${EVENT_COLUMNS.map(([, sqlType], index) => `$${index + 1}::${sqlType}[]`).join(', ')})
    ON CONFLICT (id) DO NOTHING
    RETURNING *
  )
  INSERT INTO usage_daily AS d (user_id, day, key_id, route, model, requests, successes,
                                billable_requests, input_tokens, output_tokens, cost_micros,
                                latency_ms_total)
  SELECT user_id, (occurred_at AT TIME ZONE 'UTC')::date, key_id, route, COALESCE(model, ''),
         count(*), count(*) FILTER (WHERE success), count(*) FILTER (WHERE billable),
         sum(input_tokens), sum(output_tokens), sum(cost_micros), sum(latency_ms)
    FROM inserted
   GROUP BY 1, 2, 3, 4, 5
   -- Rows are locked in this order: a fixed one keeps replicas' flushes from deadlocking.
   ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (user_id, day, key_id, route, model) DO UPDATE SET
    requests = d.requests + EXCLUDED.requests,
    successes = d.successes + EXCLUDED.successes,
    billable_requests = d.billable_requests + EXCLUDED.billable_requests,
    input_tokens = d.input_tokens + EXCLUDED.input_tokens,
    output_tokens = d.output_tokens + EXCLUDED.output_tokens,
    cost_micros = d.cost_micros + EXCLUDED.cost_micros,
    latency_ms_total = d.latency_ms_total + EXCLUDED.latency_ms_total`;
