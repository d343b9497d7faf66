import type { ApiKeyResponse, ApiKeyStatus } from '@keyward/shared';
import type { ApiKey } from './api-key.entity.js';
import { maskApiKey } from './key-format.js';

export function statusOf(
  key: Pick<ApiKey, 'revokedAt' | 'expiresAt'>,
  now = new Date(),
): ApiKeyStatus {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'expired';
  return 'active';
}

export function toApiKeyResponse(key: ApiKey, requestsLast30Days: number): ApiKeyResponse {
  return {
    id: key.id,
    name: key.name,
    description: key.description,
    maskedKey: maskApiKey(key.prefix, key.displayStart, key.displayEnd),
    prefix: key.prefix,
    scopes: key.scopes,
    status: statusOf(key),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    rateLimit: { limit: key.rateLimit, windowSeconds: key.rateWindowSeconds },
    allowedModels: key.allowedModels,
    metadata: key.metadata,
    onLeak: key.onLeak,
    monthlyBudgetMicros: key.monthlyBudgetMicros,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    requestsLast30Days,
    createdAt: key.createdAt.toISOString(),
    updatedAt: key.updatedAt.toISOString(),
  };
}
