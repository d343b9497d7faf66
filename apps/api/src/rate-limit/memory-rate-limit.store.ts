import {
  admits,
  advance,
  describeDecision,
  type RateLimitDecision,
  type WindowState,
} from './sliding-window.js';

/**
 * In-process counters. A Map keeps insertion order, so re-inserting on use makes it an LRU; the
 * oldest keys are dropped beyond `maxKeys`, so memory stays bounded whatever the traffic.
 */
export class MemoryRateLimitStore {
  private readonly states = new Map<string, WindowState>();

  constructor(private readonly maxKeys = 100_000) {}

  hit(key: string, limit: number, windowMs: number, now = Date.now()): RateLimitDecision {
    const state = advance(this.states.get(key), now, windowMs);
    const elapsed = now - state.windowStart;
    const allowed = admits(state.previous, state.current, elapsed, windowMs, limit);
    const current = allowed ? state.current + 1 : state.current;
    this.states.delete(key);
    this.states.set(key, { ...state, current });
    if (this.states.size > this.maxKeys) {
      const oldest = this.states.keys().next();
      if (!oldest.done) this.states.delete(oldest.value);
    }
    return describeDecision(allowed, state.previous, current, elapsed, windowMs, limit);
  }

  get size(): number {
    return this.states.size;
  }
}
