/**
 * Sliding-window counter: the count of the current fixed window plus the previous window's count
 * weighted by how much of it still overlaps the sliding window. Two integers per key make every
 * check O(1), and unlike a fixed window it does not let a client spend its limit twice across a
 * window boundary. The Redis store runs the same arithmetic in Lua.
 */
export interface WindowState {
  /** Start (ms since epoch) of the current fixed window. */
  windowStart: number;
  current: number;
  previous: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window has room again (0 when allowed). */
  retryAfterSeconds: number;
  /**
   * For RateLimit-Reset. When admitted, seconds until the current fixed window ends; when refused,
   * retryAfterSeconds: the window can still weigh after it ends, so its end would promise room
   * too early.
   */
  resetSeconds: number;
}

export function windowStartFor(now: number, windowMs: number): number {
  return now - (now % windowMs);
}

/** Moves the state forward to the window containing `now`. */
export function advance(
  state: WindowState | undefined,
  now: number,
  windowMs: number,
): WindowState {
  const start = windowStartFor(now, windowMs);
  if (!state) return { windowStart: start, current: 0, previous: 0 };
  if (state.windowStart === start) return state;
  if (state.windowStart === start - windowMs) {
    return { windowStart: start, current: 0, previous: state.current };
  }
  return { windowStart: start, current: 0, previous: 0 };
}

/** Rounded up, so the estimate never admits more than the weighted count allows. */
export function estimate(
  previous: number,
  current: number,
  elapsed: number,
  windowMs: number,
): number {
  return Math.ceil((previous * (windowMs - elapsed)) / windowMs) + current;
}

/** Whether one more request fits, given the counts before it. */
export function admits(
  previous: number,
  current: number,
  elapsed: number,
  windowMs: number,
  limit: number,
): boolean {
  return estimate(previous, current, elapsed, windowMs) < limit;
}

/**
 * Builds the decision the headers report. `current` is the current window's count after the
 * request was counted (when allowed) or as it stood (when refused).
 */
export function describeDecision(
  allowed: boolean,
  previous: number,
  current: number,
  elapsed: number,
  windowMs: number,
  limit: number,
): RateLimitDecision {
  const untilNextWindow = windowMs - elapsed;
  const resetSeconds = Math.max(1, Math.ceil(untilNextWindow / 1000));
  if (allowed) {
    const remaining = Math.max(0, limit - estimate(previous, current, elapsed, windowMs));
    return { allowed, limit, remaining, retryAfterSeconds: 0, resetSeconds };
  }
  // When does ceil(previous * (windowMs - t) / windowMs) + current drop below the limit? With
  // room in the current window, once enough of the previous one has slid out, and at the latest
  // when the next window starts (its previous count, this window's, is then below the limit).
  // With the current window full, its count weighs on the next one as the previous count, until
  // ceil(current * (windowMs - t) / windowMs) <= limit - 1.
  let waitMs: number;
  if (current >= limit) {
    waitMs = untilNextWindow + windowMs * (1 - (limit - 1) / current);
  } else if (previous > 0) {
    const needed = windowMs * (1 - (limit - 1 - current) / previous);
    waitMs = Math.min(untilNextWindow, Math.max(0, needed - elapsed));
  } else {
    waitMs = untilNextWindow;
  }
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  return { allowed, limit, remaining: 0, retryAfterSeconds, resetSeconds: retryAfterSeconds };
}
