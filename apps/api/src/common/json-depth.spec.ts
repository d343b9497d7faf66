import { describe, expect, it } from '@jest/globals';
import { exceedsJsonDepth } from './json-depth.js';

const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('exceedsJsonDepth', () => {
  it('accepts ordinary bodies and nesting up to the limit', () => {
    expect(exceedsJsonDepth('{"messages":[{"role":"user","content":[{"type":"text"}]}]}', 5)).toBe(
      false,
    );
    expect(exceedsJsonDepth(nested(64), 64)).toBe(false);
    expect(exceedsJsonDepth('"just a string"', 0)).toBe(false);
  });

  it('refuses nesting past the limit, in objects and arrays alike', () => {
    expect(exceedsJsonDepth(nested(65), 64)).toBe(true);
    expect(exceedsJsonDepth(`${'['.repeat(100)}${']'.repeat(100)}`, 64)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth(JSON.stringify({ a: '[[[[{{{{', b: 'say \\"[[[["' }), 2)).toBe(false);
    expect(exceedsJsonDepth(`{"a":"\\"","b":[[[1]]]}`, 3)).toBe(true);
  });
});
