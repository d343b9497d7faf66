/**
 * Lets a recurring log line through at most once per interval, counting the occurrences held
 * back meanwhile: during an outage every request would otherwise repeat the same news.
 */
export class LogThrottle {
  private lastPassed = -Infinity;
  private held = 0;

  constructor(private readonly intervalMs: number) {}

  /**
   * Counts one occurrence. When it is to be logged: how many there were since the last line
   * let through (this one included); otherwise undefined.
   */
  pass(now = Date.now()): number | undefined {
    this.held += 1;
    if (now - this.lastPassed < this.intervalMs) return undefined;
    this.lastPassed = now;
    const count = this.held;
    this.held = 0;
    return count;
  }
}
