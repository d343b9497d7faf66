import type { Logger } from '@nestjs/common';

export interface PeriodicJobOptions {
  /** Between runs; 0 never schedules the job (it can still be run by hand). */
  intervalMs: number;
  /** A first run this soon after start, so state is fresh after downtime; none when unset. */
  startDelayMs?: number;
  /**
   * One run; resolves to how much it did (for logs and tests). A long run asks `isStopping`
   * between its steps (batches, credentials) and ends early once shutdown began, so shutdown
   * waits for one step at most.
   */
  run: (isStopping: () => boolean) => Promise<number>;
  logger: Logger;
  /** Logged with the error when a run fails; the next run is tried as usual. */
  failureMessage: string;
}

/**
 * The timer side of a scheduled job: runs on an interval (and once shortly after start), never
 * two runs at once in this process, a failed run logged rather than thrown, and shutdown waiting
 * for the run under way. Which replica may run is the job's own business (advisory locks).
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopping = false;

  constructor(private readonly options: PeriodicJobOptions) {}

  start(): void {
    const { intervalMs, startDelayMs } = this.options;
    if (intervalMs === 0) return;
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
    if (startDelayMs === undefined) return;
    this.startTimer = setTimeout(() => void this.runOnce(), startDelayMs);
    this.startTimer.unref();
  }

  /** Runs now, or joins the run already under way. */
  runOnce(): Promise<number> {
    this.running ??= this.options
      .run(() => this.stopping)
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, this.options.failureMessage);
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Stops scheduling, asks the run under way to stop early, and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearTimeout(this.startTimer);
    await this.running;
  }
}
