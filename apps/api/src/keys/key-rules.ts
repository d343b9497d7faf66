import {
  DAY_MS,
  MAX_KEY_LIFETIME_DAYS,
  SCOPE_PRESETS,
  type CreateApiKeyRequest,
  type Scope,
} from '@keyward/shared';
import { AppException, invalidField } from '../common/app.exception.js';

const MAX_METADATA_BYTES = 4_096;
const MAX_METADATA_ENTRIES = 32;

/** Exactly one of `scopes` or `preset`. */
export function requestedScopes(body: Pick<CreateApiKeyRequest, 'scopes' | 'preset'>): Scope[] {
  if (body.scopes && body.preset) {
    throw invalidField('scopes', 'Give either scopes or preset, not both');
  }
  if (body.preset) return [...SCOPE_PRESETS[body.preset]];
  if (body.scopes?.length) return body.scopes;
  throw invalidField('scopes', 'Give scopes (a non-empty list) or a preset');
}

/** A key can never be granted more than whoever creates or edits it holds. */
export function assertGrantable(requested: readonly Scope[], held: readonly Scope[]): void {
  const notHeld = requested.filter((scope) => !held.includes(scope));
  if (notHeld.length > 0) {
    throw new AppException(
      403,
      'scope_not_held',
      `You cannot grant scopes you do not hold: ${notHeld.join(', ')}`,
    );
  }
}

/** Expiry from `expiresInDays` or `expiresAt` (one at most); null means never. */
export function expiryFrom(
  body: { expiresInDays?: number; expiresAt?: string | null },
  now = Date.now(),
): Date | null {
  if (body.expiresInDays !== undefined && body.expiresAt !== undefined) {
    throw invalidField('expiresAt', 'Give either expiresInDays or expiresAt, not both');
  }
  if (body.expiresInDays !== undefined) return new Date(now + body.expiresInDays * DAY_MS);
  if (body.expiresAt === undefined || body.expiresAt === null) return null;
  const at = new Date(body.expiresAt);
  if (at.getTime() <= now) {
    throw invalidField('expiresAt', 'expiresAt must be in the future');
  }
  if (at.getTime() > now + MAX_KEY_LIFETIME_DAYS * DAY_MS) {
    throw invalidField('expiresAt', 'expiresAt must be within five years');
  }
  return at;
}

/** Metadata is a small flat map of strings, numbers, booleans or null. */
export function checkedMetadata(
  metadata: Record<string, unknown> | undefined,
): Record<string, string | number | boolean | null> {
  if (!metadata) return {};
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_ENTRIES) {
    throw invalidField('metadata', `metadata may hold at most ${MAX_METADATA_ENTRIES} entries`);
  }
  for (const [name, value] of entries) {
    const flat = value === null || ['string', 'number', 'boolean'].includes(typeof value);
    if (!flat || name.length > 64) {
      throw invalidField('metadata', 'metadata values must be strings, numbers, booleans or null');
    }
  }
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    throw invalidField('metadata', `metadata must be at most ${MAX_METADATA_BYTES} bytes`);
  }
  return metadata as Record<string, string | number | boolean | null>;
}
