import type { FastifyRequest } from 'fastify';

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header.trim();
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim();
  return undefined;
}

/** Console JWTs have three dot-separated parts; Keyward keys never contain a dot. */
export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}
