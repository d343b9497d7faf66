import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsDateString,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { Optional } from '../common/optional.js';
import { PageQuery } from '../common/pagination.js';
import { API_KEY_PREFIX_PATTERN } from './key-format.js';
import { SCOPE_PRESET_NAMES, SCOPES, type Scope, type ScopePreset } from './scopes.js';
import { Trimmed } from '../common/trimmed.js';

export const API_KEY_STATUSES = ['active', 'expired', 'revoked'] as const;
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number];
export const LEAK_ACTIONS = ['revoke', 'flag'] as const;
export type LeakAction = (typeof LEAK_ACTIONS)[number];

export const DEFAULT_RATE_LIMIT = { limit: 1000, windowSeconds: 3600 } as const;

/** How far ahead a key's expiry may be set, as `expiresInDays` or as `expiresAt`: five years. */
export const MAX_KEY_LIFETIME_DAYS = 5 * 365;

export class RateLimitSetting {
  @IsInt()
  @Min(1)
  @Max(10_000)
  limit!: number;

  @IsInt()
  @Min(1)
  @Max(86_400)
  windowSeconds!: number;
}

/** Model ids are `provider/model`, e.g. `openai/gpt-4o-mini`; `provider/*` allows a provider. */
const MODEL_ID = /^[a-z0-9-]{1,40}\/([A-Za-z0-9._:@-]{1,120}|\*)$/;

/** What both creating and editing a key may set. */
abstract class ApiKeySettings {
  /** Your own labels for the key; an edit replaces them whole (`{}` clears them). */
  @Optional()
  @IsObject()
  metadata?: Record<string, string | number | boolean | null>;

  /** Null or empty clears it. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @Optional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(50)
  @IsIn(SCOPES, {
    each: true,
    message: 'each scope must be one of the catalogue (GET /api/api-keys/scopes)',
  })
  scopes?: Scope[];

  @Optional()
  @ValidateNested()
  @Type(() => RateLimitSetting)
  rateLimit?: RateLimitSetting;

  @Optional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(100)
  @Matches(MODEL_ID, { each: true, message: 'each allowed model must look like provider/model' })
  allowedModels?: string[];

  @Optional()
  @IsIn(LEAK_ACTIONS)
  onLeak?: LeakAction;

  /** A monthly spending cap for this key in micro-dollars; null removes it. */
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(0)
  @Max(1e15) // a billion dollars
  monthlyBudgetMicros?: number | null;
}

export class CreateApiKeyRequest extends ApiKeySettings {
  @Trimmed()
  @IsString()
  @MinLength(1, { message: 'name must not be blank' })
  @MaxLength(100)
  name!: string;

  @Optional()
  @IsIn(SCOPE_PRESET_NAMES)
  preset?: ScopePreset;

  @Optional()
  @IsInt()
  @Min(1)
  @Max(MAX_KEY_LIFETIME_DAYS)
  expiresInDays?: number;

  @Optional()
  @IsDateString({ strict: true })
  expiresAt?: string;

  @Optional()
  @Matches(API_KEY_PREFIX_PATTERN, { message: 'prefix must be 1-12 lowercase letters or digits' })
  prefix?: string;
}

export class UpdateApiKeyRequest extends ApiKeySettings {
  @Optional()
  @Trimmed()
  @IsString()
  @MinLength(1, { message: 'name must not be blank' })
  @MaxLength(100)
  name?: string;

  /** An ISO date, or null for "never". */
  @IsOptional()
  @IsDateString({ strict: true })
  expiresAt?: string | null;
}

export class RegenerateApiKeyRequest {
  @Optional()
  @IsInt()
  @Min(0)
  @Max(604_800)
  gracePeriodSeconds?: number;
}

export class ListApiKeysQuery extends PageQuery {
  @Optional()
  @IsIn(API_KEY_STATUSES)
  status?: ApiKeyStatus;

  @Optional()
  @IsString()
  @MaxLength(100)
  name?: string;
}

export interface ApiKeyResponse {
  id: string;
  name: string;
  description: string | null;
  /** Prefix plus the first and last 4 characters: `kw_AbCd…WxYz`. */
  maskedKey: string;
  prefix: string;
  scopes: Scope[];
  status: ApiKeyStatus;
  expiresAt: string | null;
  revokedAt: string | null;
  rateLimit: { limit: number; windowSeconds: number };
  allowedModels: string[];
  metadata: Record<string, string | number | boolean | null>;
  onLeak: LeakAction;
  /** Integer micro-dollars per calendar month (UTC); null when the key has no budget. */
  monthlyBudgetMicros: number | null;
  lastUsedAt: string | null;
  requestsLast30Days: number;
  createdAt: string;
  updatedAt: string;
}

/** The only response that ever contains the plaintext key. */
export interface CreatedApiKeyResponse extends ApiKeyResponse {
  key: string;
}

export interface RegeneratedApiKeyResponse extends CreatedApiKeyResponse {
  /** Until when the previous secret keeps working (null when it stopped at once). */
  previousKeyExpiresAt: string | null;
}

export interface WhoAmIResponse {
  id: string;
  name: string;
  scopes: Scope[];
}
