/** A JSON object (or any plain record), as opposed to an array, `null` or a scalar. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
