import { Inject, Injectable, StreamableFile } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  USAGE_EXPORT_MAX_DAYS,
  type Page,
  type UsageAttempt,
  type UsageEventResponse,
  type UsageEventSort,
  type UsageEventsQuery,
  type UsageExportQuery,
} from '@keyward/shared';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { AppException } from '../common/app.exception.js';
import { timeRange } from '../common/time-range.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { csvRow, type CsvValue } from './csv.js';
import { assertOwnKey } from './own-key.js';
import { parseStatusFilter } from './status-filter.js';
import { defaultRange, utcDay } from './usage-period.js';

const DEFAULT_PAGE_SIZE = 50;
/** OFFSET paging reads every skipped row; past this, narrowing the time range is the answer. */
export const MAX_EVENTS_OFFSET = 10_000;
/** Rows per query while an export streams: memory stays flat however long the range. */
const EXPORT_BATCH = 1_000;

const SORT_SQL: Record<UsageEventSort, string> = {
  time: 'occurred_at',
  latency: 'latency_ms',
  cost: 'cost_micros',
  tokens: '(input_tokens + output_tokens)',
};

interface EventRow {
  id: string;
  occurred_at: Date | string;
  key_id: string;
  route: string;
  method: string;
  status: number;
  success: boolean;
  latency_ms: number;
  provider: string | null;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_micros: string | number;
  client_ip: string | null;
  user_agent: string | null;
  error_code: string | null;
  attempts: UsageAttempt[] | string;
}

const EVENT_COLUMNS = `id, occurred_at, key_id, route, method, status, success, latency_ms, provider,
  model, input_tokens, output_tokens, cost_micros, client_ip, user_agent, error_code, attempts`;

const CSV_HEADER = [
  'id',
  'occurred_at',
  'key_id',
  'route',
  'method',
  'status',
  'success',
  'latency_ms',
  'provider',
  'model',
  'input_tokens',
  'output_tokens',
  'cost_micros',
  'client_ip',
  'user_agent',
  'error_code',
  'attempts',
];

/** WHERE clauses with their positional parameters, built up filter by filter. */
class Conditions {
  readonly parts: string[] = [];
  readonly parameters: unknown[] = [];

  add(sql: (...placeholders: string[]) => string, ...values: unknown[]): void {
    const placeholders = values.map((value) => `$${this.parameters.push(value)}`);
    this.parts.push(sql(...placeholders));
  }

  get sql(): string {
    return this.parts.join(' AND ');
  }
}

/** Raw events: a page of them for the console, or all of a range as a streamed CSV file. */
@Injectable()
export class UsageEventsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async list(userId: string, query: UsageEventsQuery): Promise<Page<UsageEventResponse>> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
    const offset = (page - 1) * pageSize;
    if (offset >= MAX_EVENTS_OFFSET) {
      throw new AppException(
        400,
        'validation_failed',
        `Pages reach back ${MAX_EVENTS_OFFSET} events at most; narrow the range with from and to`,
        [{ field: 'page', messages: [`page * pageSize must stay within ${MAX_EVENTS_OFFSET}`] }],
      );
    }
    const range = timeRange(query.from, query.to);
    const where = new Conditions();
    where.add((p) => `user_id = ${p}`, userId);
    if (query.keyId !== undefined) {
      await assertOwnKey(this.dataSource, userId, query.keyId);
      where.add((p) => `key_id = ${p}`, query.keyId);
    }
    if (query.route !== undefined) where.add((p) => `route = ${p}`, query.route);
    if (query.model !== undefined) where.add((p) => `model = ${p}`, query.model);
    if (query.status !== undefined) {
      const status = parseStatusFilter(query.status);
      where.add((p) => `status >= ${p}`, status.min);
      where.add((p) => `status <= ${p}`, status.max);
    }
    if (query.success !== undefined) where.add((p) => `success = ${p}`, query.success === 'true');
    if (range.from) where.add((p) => `occurred_at >= ${p}`, range.from);
    if (range.to) where.add((p) => `occurred_at < ${p}`, range.to);

    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    const sort = SORT_SQL[query.sort ?? 'time'];
    const [rows, counted] = await Promise.all([
      this.dataSource.query<EventRow[]>(
        `SELECT ${EVENT_COLUMNS} FROM usage_events WHERE ${where.sql}
          ORDER BY ${sort} ${direction}, id ${direction}
          LIMIT ${pageSize} OFFSET ${offset}`,
        where.parameters,
      ),
      this.dataSource.query<{ total: string }[]>(
        `SELECT count(*) AS total FROM usage_events WHERE ${where.sql}`,
        where.parameters,
      ),
    ]);
    return {
      items: rows.map(toEventResponse),
      page,
      pageSize,
      total: Number(counted[0]?.total ?? 0),
    };
  }

  /**
   * A CSV file of every event in the range, oldest first. Rows are read in batches as the client
   * takes them (keyset paging on time and id), so a year of traffic never sits in memory; a client
   * that hangs up stops the reading. A missing end defaults to now, a missing start to everything
   * kept before the end (within the export's limit), like an unbounded event list.
   */
  async export(userId: string, query: UsageExportQuery): Promise<StreamableFile> {
    const defaultDays = Math.min(this.config.usageRecording.retentionDays, USAGE_EXPORT_MAX_DAYS);
    const bounds = defaultRange(query.from, query.to, new Date(), defaultDays);
    timeRange(bounds.from, bounds.to, USAGE_EXPORT_MAX_DAYS);
    if (query.keyId !== undefined) await assertOwnKey(this.dataSource, userId, query.keyId);
    const from = new Date(bounds.from);
    const to = new Date(bounds.to);
    const stream = Readable.from(this.csvLines(userId, from, to, query.keyId));
    // Named from the parsed times, so nothing the caller typed reaches the header as it was.
    const name = `keyward-usage-${utcDay(from)}-${utcDay(to)}.csv`;
    return new StreamableFile(stream, {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="${name}"`,
    });
  }

  private async *csvLines(
    userId: string,
    from: Date,
    to: Date,
    keyId: string | undefined,
  ): AsyncGenerator<string> {
    yield csvRow(CSV_HEADER);
    // The cursor keeps the time as the database's own text, which holds its full microsecond
    // precision: a JavaScript Date would cut it to milliseconds and repeat rows at batch edges.
    let after: { time: string; id: string } | null = null;
    for (;;) {
      const where = new Conditions();
      where.add((p) => `user_id = ${p}`, userId);
      where.add((p) => `occurred_at >= ${p}`, from);
      where.add((p) => `occurred_at < ${p}`, to);
      if (keyId !== undefined) where.add((p) => `key_id = ${p}`, keyId);
      if (after) {
        where.add(
          (time, id) => `(occurred_at, id) > (${time}::timestamptz, ${id})`,
          after.time,
          after.id,
        );
      }
      const rows = await this.dataSource.query<(EventRow & { cursor: string })[]>(
        `SELECT ${EVENT_COLUMNS}, occurred_at::text AS cursor FROM usage_events WHERE ${where.sql}
          ORDER BY occurred_at ASC, id ASC LIMIT ${EXPORT_BATCH}`,
        where.parameters,
      );
      let chunk = '';
      for (const row of rows) chunk += csvRow(csvValues(toEventResponse(row)));
      if (chunk) yield chunk;
      const last = rows.at(-1);
      if (!last || rows.length < EXPORT_BATCH) return;
      after = { time: last.cursor, id: last.id };
    }
  }
}

function csvValues(event: UsageEventResponse): CsvValue[] {
  return [
    event.id,
    event.occurredAt,
    event.keyId,
    event.route,
    event.method,
    event.status,
    event.success,
    event.latencyMs,
    event.provider,
    event.model,
    event.inputTokens,
    event.outputTokens,
    event.costMicros,
    event.clientIp,
    event.userAgent,
    event.errorCode,
    JSON.stringify(event.attempts),
  ];
}

function toEventResponse(row: EventRow): UsageEventResponse {
  return {
    id: row.id,
    occurredAt: new Date(row.occurred_at).toISOString(),
    keyId: row.key_id,
    route: row.route,
    method: row.method,
    status: row.status,
    success: row.success,
    latencyMs: row.latency_ms,
    provider: row.provider,
    model: row.model,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costMicros: Number(row.cost_micros),
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    errorCode: row.error_code,
    attempts:
      typeof row.attempts === 'string'
        ? (JSON.parse(row.attempts) as UsageAttempt[])
        : row.attempts,
  };
}
