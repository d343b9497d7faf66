import type { CreateApiKeyRequest, CreatedApiKeyResponse } from '@keyward/shared';
import { call } from './http.js';

/** Creates a key through the API as the given console user (or key). */
export async function createKey(
  baseUrl: string,
  token: string,
  body: Partial<CreateApiKeyRequest> = {},
): Promise<CreatedApiKeyResponse> {
  const result = await call<CreatedApiKeyResponse>(baseUrl, 'POST', '/api/api-keys', {
    token,
    body: { name: 'test key', ...(body.scopes ? {} : { preset: 'full_access' }), ...body },
  });
  if (result.status !== 201) {
    throw new Error(`creating a key failed: ${result.status} ${result.text}`);
  }
  return result.body;
}

export const withKey = (key: string): Record<string, string> => ({ 'x-api-key': key });
