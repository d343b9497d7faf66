/**
 * Deepest nesting of objects and arrays a JSON request body may have. Real bodies stay under ten
 * levels (chat messages with content parts, tool schemas); validation and class-transformer walk
 * bodies recursively, so a body thousands of levels deep would otherwise exhaust the stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether raw JSON text nests objects and arrays deeper than `limit`. One pass over the bytes,
 * skipping string contents, run before parsing so a hostile body costs no more than its length.
 */
export function exceedsJsonDepth(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i += 1;
      else if (char === 0x22 /* " */) inString = false;
      continue;
    }
    if (char === 0x22) inString = true;
    else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) depth -= 1;
  }
  return false;
}
