import { describe, expect, it } from '@jest/globals';
import { newId } from './ids.js';

describe('newId', () => {
  it('makes prefixed lowercase ULIDs', () => {
    expect(newId('req')).toMatch(/^req_[0-9a-hjkmnp-tv-z]{26}$/);
  });

  it('never repeats across many ids drawn from the random pool', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('req'));
    expect(new Set(ids).size).toBe(ids.length);
    // The random part uses the whole alphabet, so the pool is not stuck on a few values.
    const alphabet = new Set(ids.flatMap((id) => Array.from(id.slice(-16))));
    expect(alphabet.size).toBe(32);
  });

  it('sorts by creation time across milliseconds', async () => {
    const first = newId('aud');
    await new Promise((resolve) => setTimeout(resolve, 3));
    const second = newId('aud');
    expect(first < second).toBe(true);
  });
});
