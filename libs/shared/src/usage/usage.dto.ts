import { Type } from 'class-transformer';
import { IsDateString, IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { Optional } from '../common/optional.js';
import { PageQuery } from '../common/pagination.js';

/** Money in Keyward is integer micro-dollars (1 USD = 1,000,000) on the wire and in the database. */
export const MICROS_PER_USD = 1_000_000;

export class UsageDaysQuery {
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(365)
  days?: number;
}

/** A period, optionally narrowed to one of the caller's keys. */
export class UsageScopeQuery extends UsageDaysQuery {
  @Optional()
  @IsString()
  @MaxLength(64)
  keyId?: string;
}

export class UsageDailyQuery {
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(7, { message: 'days must be between 7 and 90' })
  @Max(90, { message: 'days must be between 7 and 90' })
  days?: number;

  @Optional()
  @IsString()
  @MaxLength(64)
  keyId?: string;
}

export const USAGE_EVENT_SORTS = ['time', 'latency', 'cost', 'tokens'] as const;
export type UsageEventSort = (typeof USAGE_EVENT_SORTS)[number];

export class UsageEventsQuery extends PageQuery {
  @Optional()
  @IsString()
  @MaxLength(64)
  keyId?: string;

  @Optional()
  @IsString()
  @MaxLength(200)
  route?: string;

  @Optional()
  @IsString()
  @MaxLength(200)
  model?: string;

  /** An exact status (`429`) or a class (`4xx`, `5xx`). */
  @Optional()
  @IsString()
  @MaxLength(3)
  status?: string;

  @Optional()
  @IsIn(['true', 'false'])
  success?: 'true' | 'false';

  @Optional()
  @IsDateString({ strict: true })
  from?: string;

  @Optional()
  @IsDateString({ strict: true })
  to?: string;

  @Optional()
  @IsIn(USAGE_EVENT_SORTS)
  sort?: UsageEventSort;

  @Optional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

/**
 * The export's range. Left out, `to` is now and `from` reaches back over the whole retention
 * period (at most USAGE_EXPORT_MAX_DAYS) before `to`, as the event list does with no bounds.
 */
export class UsageExportQuery {
  @Optional()
  @IsDateString({ strict: true })
  from?: string;

  @Optional()
  @IsDateString({ strict: true })
  to?: string;

  @Optional()
  @IsString()
  @MaxLength(64)
  keyId?: string;
}

export interface UsageTotals {
  requests: number;
  successes: number;
  /** 0..1; 1 when there were no requests. */
  successRate: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  averageLatencyMs: number;
}

/** A monthly limit and how much of it is used; `limit` null means unlimited. */
export interface LimitUse {
  used: number;
  limit: number | null;
  /** used / limit * 100, rounded to one decimal; null when unlimited. */
  percent: number | null;
}

export interface PlanUse {
  planId: string;
  planName: string;
  /** ISO time the monthly counters start again (the first of next month, UTC). */
  resetsAt: string;
  requests: LimitUse;
  costMicros: LimitUse;
}

export interface UsageSummaryResponse {
  days: number;
  /** The key the totals are narrowed to; null for all keys. `month` is always the whole plan. */
  keyId: string | null;
  totals: UsageTotals;
  month: PlanUse;
}

export interface UsageDailyPoint extends UsageTotals {
  /** YYYY-MM-DD (UTC) */
  day: string;
}

export interface UsageDailyResponse {
  days: number;
  keyId: string | null;
  points: UsageDailyPoint[];
}

export interface UsageBreakdownRow extends UsageTotals {
  /** The route (`POST /v1/chat/completions`) or model id (`openai/gpt-4o-mini`). */
  name: string;
}

export interface UsageBreakdownResponse {
  days: number;
  keyId: string | null;
  rows: UsageBreakdownRow[];
}

export interface UsageAttempt {
  provider: string;
  model: string;
  /** The provider's HTTP status, or null when it could not be reached or timed out. */
  status: number | null;
  errorCode: string | null;
  latencyMs: number;
  /**
   * Why the provider could not be reached, in the operating system's or TLS's terms, such as
   * "the connection was refused (ECONNREFUSED)"; only on `upstream_unreachable`, when it is known.
   */
  cause?: string;
}

export interface UsageEventResponse {
  id: string;
  occurredAt: string;
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
}

/** `GET /v1/usage`: what the calling key has used this month, and every limit on it. */
export interface KeyUsageResponse {
  keyId: string;
  period: { start: string; end: string };
  key: {
    requests: number;
    inputTokens: number;
    outputTokens: number;
    costMicros: number;
    budget: LimitUse;
  };
  plan: PlanUse;
  rateLimit: { limit: number; windowSeconds: number };
}

/** The longest time range one CSV export may cover. */
export const USAGE_EXPORT_MAX_DAYS = 366;

/** `GET /api/api-keys/:id/usage`: one key's totals over the days, and a point for every day. */
export interface ApiKeyUsageResponse {
  keyId: string;
  days: number;
  totals: UsageTotals;
  points: UsageDailyPoint[];
}
