import { redactUrl } from '../logging/redact.js';

/**
 * What Nest's not-found handler says about a request no route matches: `Cannot GET /v1/…` with
 * the whole URL, query string included, where a caller may have put a key.
 */
export const nestNotFoundMessage = (method: string, url: string): string =>
  `Cannot ${method} ${url}`;

/**
 * The answer's message for a request no route matches: its path without the query string, and
 * with anything shaped like a Keyward key redacted, so a secret sent to a mistyped route is never
 * echoed back.
 */
export function unknownRouteMessage(method: string, url: string): string {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  return `Cannot ${method} ${redactUrl(path)}`;
}
