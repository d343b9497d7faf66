import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import { Optional } from '../common/optional.js';
import { Trimmed } from '../common/trimmed.js';

export const PROVIDER_IDS = [
  'openai',
  'anthropic',
  'mistral',
  'deepinfra',
  'perplexity',
  'runway',
  'together',
] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export const CAPABILITIES = ['chat', 'embeddings', 'images', 'video', 'search'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** What a verification call found out about a credential. */
export const CREDENTIAL_STATUSES = [
  'unverified',
  'valid',
  'invalid',
  'insufficient_quota',
  'rate_limited',
  'error',
] as const;
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number];
export type ProviderStatus = CredentialStatus | 'not_configured';

export interface ProviderModel {
  /** `provider/model`, as the guarded API names it. */
  id: string;
  name: string;
  capabilities: Capability[];
  /** US dollars per million tokens; 0 where the provider prices otherwise (e.g. per second of video). */
  inputPricePerMillion: number;
  outputPricePerMillion: number;
}

export interface ProviderInfo {
  id: ProviderId;
  name: string;
  capabilities: Capability[];
  models: ProviderModel[];
  /** For early client-side checks of a pasted key; servers re-verify anyway. */
  keyHint: { pattern: string | null; example: string; description: string };
  docsUrl: string;
}

export class CreateProviderKeyRequest {
  @IsIn(PROVIDER_IDS, { message: `provider must be one of ${PROVIDER_IDS.join(', ')}` })
  provider!: ProviderId;

  @Trimmed()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @Trimmed()
  @IsString()
  @MinLength(8, { message: 'apiKey looks too short to be a provider key' })
  @MaxLength(512)
  apiKey!: string;

  @Optional()
  @IsBoolean()
  verify?: boolean;
}

export class UpdateProviderKeyRequest {
  @Optional()
  @Trimmed()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @Optional()
  @Trimmed()
  @IsString()
  @MinLength(8, { message: 'apiKey looks too short to be a provider key' })
  @MaxLength(512)
  apiKey?: string;
}

export class ProviderPreferencesRequest {
  @IsIn(CAPABILITIES)
  capability!: Capability;

  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(PROVIDER_IDS.length)
  @IsIn(PROVIDER_IDS, { each: true })
  order!: ProviderId[];
}

export interface ProviderKeyResponse {
  id: string;
  provider: ProviderId;
  name: string;
  /** e.g. `sk-...1234`: never more of the secret than that. */
  maskedKey: string;
  status: CredentialStatus;
  lastVerifiedAt: string | null;
  /** A short summary of the last failure, when the status is not valid. */
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ProviderStatusEntry {
  provider: ProviderId;
  name: string;
  status: ProviderStatus;
  keyCount: number;
  lastCheckedAt: string | null;
}

export interface ProviderKeyTestResponse {
  status: CredentialStatus;
  /** The provider's HTTP status, or null when it could not be reached. */
  httpStatus: number | null;
  latencyMs: number;
  message: string;
}

export interface ProviderPreferencesResponse {
  preferences: { capability: Capability; order: ProviderId[] }[];
}
