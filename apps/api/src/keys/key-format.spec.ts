import { describe, expect, it } from '@jest/globals';
import { API_KEY_PATTERN } from '@keyward/shared';
import {
  checksumOf,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
  maskApiKey,
  toBase62,
} from './key-format.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('API key format', () => {
  it('generates keys matching the published pattern, with a valid checksum', () => {
    for (const prefix of ['kw', 'acme2024', 'a', 'abcdefghijkl']) {
      const key = generateApiKey(prefix);
      expect(key.plaintext).toMatch(API_KEY_PATTERN);
      expect(key.plaintext.startsWith(`${prefix}_`)).toBe(true);
      expect(key.plaintext).toHaveLength(prefix.length + 1 + 32 + 6);
      expect(isWellFormedApiKey(key.plaintext)).toBe(true);
      expect(key.hash).toBe(hashApiKey(key.plaintext));
      expect(key.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('never repeats a key and spreads characters evenly (no modulo bias)', () => {
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i += 1) {
      const { plaintext } = generateApiKey('kw');
      expect(seen.has(plaintext)).toBe(false);
      seen.add(plaintext);
      for (const char of plaintext.slice(3, 35)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    // 64,000 characters over 62 symbols: about 1,032 each.
    expect(counts.size).toBe(62);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(850);
      expect(count).toBeLessThan(1_220);
    }
  });

  it('rejects every single-character substitution of a valid key (property over many keys)', () => {
    let mutations = 0;
    for (let k = 0; k < 40; k += 1) {
      const { plaintext } = generateApiKey('kw');
      for (let position = 3; position < plaintext.length; position += 1) {
        for (const replacement of BASE62) {
          if (replacement === plaintext[position]) continue;
          const mutated =
            plaintext.slice(0, position) + replacement + plaintext.slice(position + 1);
          mutations += 1;
          if (isWellFormedApiKey(mutated)) {
            throw new Error(`checksum accepted a one-character change at ${position}`);
          }
        }
      }
    }
    expect(mutations).toBe(40 * 38 * 61);
  });

  it('rejects wrong shapes without throwing', () => {
    const { plaintext } = generateApiKey('kw');
    const cases = [
      '',
      'kw_',
      plaintext.slice(0, -1),
      `${plaintext}x`,
      plaintext.toUpperCase(),
      `KW${plaintext.slice(2)}`,
      plaintext.replace('_', '-'),
      `toolongprefix1_${plaintext.slice(3)}`,
      'x'.repeat(10_000),
      `${plaintext.slice(0, 10)}\u0000${plaintext.slice(11)}`,
    ];
    for (const candidate of cases) expect(isWellFormedApiKey(candidate)).toBe(false);
  });

  it('detects swapped adjacent characters', () => {
    for (let k = 0; k < 50; k += 1) {
      const { plaintext } = generateApiKey('kw');
      for (let i = 3; i < plaintext.length - 1; i += 1) {
        if (plaintext[i] === plaintext[i + 1]) continue;
        const swapped =
          plaintext.slice(0, i) + plaintext[i + 1]! + plaintext[i]! + plaintext.slice(i + 2);
        expect(isWellFormedApiKey(swapped)).toBe(false);
      }
    }
  });

  it('encodes checksums as fixed-width base62', () => {
    expect(toBase62(0, 6)).toBe('000000');
    expect(toBase62(61, 6)).toBe('00000z');
    expect(toBase62(62, 6)).toBe('000010');
    expect(toBase62(0xffffffff, 6)).toHaveLength(6);
    expect(checksumOf('kw_abc')).toHaveLength(6);
  });

  it('masks to the prefix and the first and last four characters', () => {
    expect(maskApiKey('kw', 'AbCd', 'WxYz')).toBe('kw_AbCd…WxYz');
    const key = generateApiKey('kw');
    expect(key.start).toBe(key.plaintext.slice(3, 7));
    expect(key.end).toBe(key.plaintext.slice(-4));
  });
});
