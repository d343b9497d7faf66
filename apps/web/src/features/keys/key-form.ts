import {
  DEFAULT_RATE_LIMIT,
  type ApiKeyResponse,
  type Scope,
  type ScopeCatalogueResponse,
  type ScopePreset,
} from '@keyward/shared';

export type ScopeMode = 'preset' | 'custom';
export type ExpiryMode = 'never' | 'days' | 'date';

export interface ScopeSelection {
  mode: ScopeMode;
  preset: ScopePreset;
  scopes: Scope[];
}

export interface LimitValues {
  limit: string;
  windowSeconds: string;
  allowedModels: string;
}

export interface CreateKeyForm extends LimitValues {
  name: string;
  description: string;
  scope: ScopeSelection;
  expiry: ExpiryMode;
  expiresInDays: string;
  expiresOn: string;
}

export const RATE_WINDOWS = [
  { seconds: 1, label: 'per second' },
  { seconds: 60, label: 'per minute' },
  { seconds: 3600, label: 'per hour' },
  { seconds: 86_400, label: 'per day' },
] as const;

export function windowLabel(seconds: number): string {
  const known = RATE_WINDOWS.find((window) => window.seconds === seconds);
  return known ? known.label.replace('per ', '/ ') : `/ ${seconds}s`;
}

export function initialCreateForm(): CreateKeyForm {
  return {
    name: '',
    description: '',
    scope: { mode: 'preset', preset: 'generate_only', scopes: [] },
    expiry: 'never',
    expiresInDays: '90',
    expiresOn: '',
    limit: String(DEFAULT_RATE_LIMIT.limit),
    windowSeconds: String(DEFAULT_RATE_LIMIT.windowSeconds),
    allowedModels: '',
  };
}

export function limitValuesOf(key: ApiKeyResponse): LimitValues {
  return {
    limit: String(key.rateLimit.limit),
    windowSeconds: String(key.rateLimit.windowSeconds),
    allowedModels: key.allowedModels.join(', '),
  };
}

/** "openai/gpt-4o, anthropic/*" → ['openai/gpt-4o', 'anthropic/*']; blank → undefined. */
export function parseModels(text: string): string[] | undefined {
  const models = text
    .split(/[\s,]+/)
    .map((model) => model.trim())
    .filter(Boolean);
  return models.length > 0 ? models : undefined;
}

/** An empty box becomes NaN so the DTO's @IsInt reports it rather than a silent default. */
function toNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

function rateLimitOf(values: LimitValues): { limit: number; windowSeconds: number } {
  return { limit: toNumber(values.limit), windowSeconds: toNumber(values.windowSeconds) };
}

/** The plain object handed to validate() for CreateApiKeyRequest, then sent as is. */
export function toCreatePlain(form: CreateKeyForm): Record<string, unknown> {
  const plain: Record<string, unknown> = {
    name: form.name.trim(),
    rateLimit: rateLimitOf(form),
  };
  if (form.description.trim()) plain.description = form.description.trim();
  if (form.scope.mode === 'preset') plain.preset = form.scope.preset;
  else plain.scopes = form.scope.scopes;
  if (form.expiry === 'days') plain.expiresInDays = toNumber(form.expiresInDays);
  if (form.expiry === 'date') {
    // End of the chosen day, local time; an empty or impossible date stays invalid for @IsDateString.
    const end = new Date(`${form.expiresOn}T23:59:59`);
    plain.expiresAt = Number.isNaN(end.getTime()) ? form.expiresOn : end.toISOString();
  }
  const models = parseModels(form.allowedModels);
  if (models) plain.allowedModels = models;
  return plain;
}

/** Scopes a selection stands for: a preset's list, or the ticked boxes. */
export function scopesOf(selection: ScopeSelection, catalogue: ScopeCatalogueResponse): Scope[] {
  if (selection.mode === 'custom') return selection.scopes;
  return catalogue.presets.find((preset) => preset.name === selection.preset)?.scopes ?? [];
}

export function toUpdatePlain(
  values: LimitValues & { name: string; description: string; scopes: Scope[] },
): Record<string, unknown> {
  return {
    name: values.name.trim(),
    description: values.description.trim(),
    scopes: values.scopes,
    rateLimit: rateLimitOf(values),
    allowedModels: parseModels(values.allowedModels) ?? [],
  };
}

export const GRACE_PERIODS = [
  { seconds: 0, label: 'None', hint: 'The old key stops working now.' },
  { seconds: 3600, label: '1 hour', hint: 'Both keys work for an hour.' },
  { seconds: 86_400, label: '24 hours', hint: 'Both keys work for a day.' },
  { seconds: 604_800, label: '7 days', hint: 'Both keys work for a week.' },
] as const;
