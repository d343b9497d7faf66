import { isWellFormedApiKey } from '../keys/key-format.js';

/**
 * Field names whose values are never logged, wherever they appear in a log object: credentials,
 * tokens, cookies, and anything named like a key or secret.
 */
const SENSITIVE_NAME =
  /pass(word|phrase)?|secret|token|authorization|cookie|api[-_]?key|apikey|private|credential|^key$|signature|session/i;

export const REDACTED = '[redacted]';

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name);
}

/** Returns a copy of `value` with sensitive fields replaced, at any depth. Cycles are cut. */
export function redactSensitive(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    // Keep what helps debugging; error messages are written by us and carry no secrets.
    return { type: value.name, message: value.message, stack: value.stack };
  }
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactSensitive(item, seen));
  const copy: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    copy[name] = isSensitiveName(name) ? REDACTED : redactSensitive(inner, seen);
  }
  return copy;
}

/** A run of characters shaped like a Keyward key; the checksum then tells whether it is one. */
const KEY_SHAPED = /(?<![0-9A-Za-z_])[a-z0-9]{1,12}_[0-9A-Za-z]{38}(?![0-9A-Za-z_])/g;

/**
 * Redacts sensitive query parameters in a logged URL (`?api_key=…`), and any Keyward key wherever
 * it stands: a key pasted in place of an id in the path, or under an innocent query name, is as
 * live as one sent in a header.
 */
export function redactUrl(url: string): string {
  const withoutKeys = url.replace(KEY_SHAPED, (candidate) =>
    isWellFormedApiKey(candidate) ? REDACTED : candidate,
  );
  const queryStart = withoutKeys.indexOf('?');
  if (queryStart === -1) return withoutKeys;
  const params = new URLSearchParams(withoutKeys.slice(queryStart + 1));
  let changed = false;
  for (const name of [...params.keys()]) {
    if (isSensitiveName(name)) {
      params.set(name, REDACTED);
      changed = true;
    }
  }
  return changed ? `${withoutKeys.slice(0, queryStart)}?${params.toString()}` : withoutKeys;
}
