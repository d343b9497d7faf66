/**
 * JSON with object keys sorted at every depth. PostgreSQL's jsonb reorders keys on storage, so the
 * hash of an audit entry must not depend on key order.
 */
export function canonicalJson(value: unknown): string {
  // What JSON cannot represent becomes null, as JSON.stringify does inside arrays.
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    return 'null';
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, inner]) => inner !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
}
