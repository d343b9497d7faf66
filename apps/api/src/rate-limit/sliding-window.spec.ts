import { describe, expect, it } from '@jest/globals';
import { MemoryRateLimitStore } from './memory-rate-limit.store.js';

const WINDOW = 60_000;
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % WINDOW); // a window boundary

describe('sliding-window limiter (in-process store)', () => {
  it('admits exactly the limit within one window, then refuses with Retry-After', () => {
    const store = new MemoryRateLimitStore();
    const decisions = Array.from({ length: 15 }, (_, i) => store.hit('k', 10, WINDOW, T0 + i));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(decisions.map((d) => d.remaining).slice(0, 10)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const refused = decisions[10]!;
    expect(refused.allowed).toBe(false);
    // The rest of this window, then until a tenth of its 10 requests has slid out of the next.
    expect(refused.retryAfterSeconds).toBe(66);
    const at = (seconds: number) => T0 + 10 + seconds * 1000;
    expect(store.hit('k', 10, WINDOW, at(refused.retryAfterSeconds - 1)).allowed).toBe(false);
    expect(store.hit('k', 10, WINDOW, at(refused.retryAfterSeconds)).allowed).toBe(true);
  });

  it('tells a caller of a limit of one to wait two windows, not one', () => {
    const store = new MemoryRateLimitStore();
    expect(store.hit('k', 1, WINDOW, T0).allowed).toBe(true);
    const refused = store.hit('k', 1, WINDOW, T0 + 1);
    expect(refused.retryAfterSeconds).toBe(120);
    // A window later the single request still weighs almost whole on the sliding window.
    expect(store.hit('k', 1, WINDOW, T0 + WINDOW + 1).allowed).toBe(false);
    expect(store.hit('k', 1, WINDOW, T0 + 1 + refused.retryAfterSeconds * 1000).allowed).toBe(true);
  });

  it('does not allow a double burst across a window boundary', () => {
    const store = new MemoryRateLimitStore();
    // The whole limit at the very end of one window...
    for (let i = 0; i < 10; i += 1) {
      expect(store.hit('k', 10, WINDOW, T0 + WINDOW - 100).allowed).toBe(true);
    }
    // ...leaves (almost) nothing at the start of the next: a fixed window would admit 10 more.
    const next = Array.from({ length: 10 }, () => store.hit('k', 10, WINDOW, T0 + WINDOW + 100));
    expect(next.filter((d) => d.allowed).length).toBeLessThanOrEqual(1);
  });

  it('makes room again as the previous window slides out', () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 10; i += 1) store.hit('k', 10, WINDOW, T0 + 1_000);
    // Half-way through the next window, about half of the previous count still weighs.
    const half = Array.from({ length: 10 }, () =>
      store.hit('k', 10, WINDOW, T0 + WINDOW + WINDOW / 2),
    );
    expect(half.filter((d) => d.allowed)).toHaveLength(5);
    // Two windows later nothing of the burst remains.
    const later = Array.from({ length: 10 }, () => store.hit('k', 10, WINDOW, T0 + 3 * WINDOW));
    expect(later.every((d) => d.allowed)).toBe(true);
  });

  it('tells a refused caller how long until the previous window decays enough', () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 10; i += 1) store.hit('k', 10, WINDOW, T0);
    const refused = store.hit('k', 10, WINDOW, T0 + WINDOW + 1);
    expect(refused.allowed).toBe(false);
    // One slot frees once 1/10 of the previous window has slid out: about 6 s.
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(5);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(7);
    const retried = store.hit('k', 10, WINDOW, T0 + WINDOW + refused.retryAfterSeconds * 1000);
    expect(retried.allowed).toBe(true);
  });

  it('gives a refusal the same RateLimit-Reset as Retry-After, and an admission the window end', () => {
    const store = new MemoryRateLimitStore();
    const window = 10_000;
    const admitted = [0, 1, 2].map(() => store.hit('k', 3, window, T0 + 2_000));
    expect(admitted.every((d) => d.allowed)).toBe(true);
    // Admitted: the quota resets when the current fixed window ends, 8 s on.
    expect(admitted.map((d) => d.resetSeconds)).toEqual([8, 8, 8]);
    const refused = store.hit('k', 3, window, T0 + 2_000);
    expect(refused.allowed).toBe(false);
    // The full window still weighs on the next: 8 s, then a third of the next window.
    expect(refused.retryAfterSeconds).toBe(12);
    expect(refused.resetSeconds).toBe(refused.retryAfterSeconds);
    expect(store.hit('k', 3, window, T0 + 2_000 + 8_000 + 1).allowed).toBe(false);

    // Refused while the previous window decays: room comes before this window ends.
    const decaying = new MemoryRateLimitStore();
    for (let i = 0; i < 10; i += 1) decaying.hit('d', 10, WINDOW, T0);
    const early = decaying.hit('d', 10, WINDOW, T0 + WINDOW + 1);
    expect(early.allowed).toBe(false);
    expect(early.retryAfterSeconds).toBeLessThan(60);
    expect(early.resetSeconds).toBe(early.retryAfterSeconds);
  });

  it('keeps keys independent', () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 3; i += 1) store.hit('a', 3, WINDOW, T0);
    expect(store.hit('a', 3, WINDOW, T0).allowed).toBe(false);
    expect(store.hit('b', 3, WINDOW, T0).allowed).toBe(true);
  });

  it('holds memory to its bound however many keys arrive', () => {
    const store = new MemoryRateLimitStore(1_000);
    for (let i = 0; i < 50_000; i += 1) store.hit(`key-${i}`, 5, WINDOW, T0);
    expect(store.size).toBe(1_000);
  });
});
