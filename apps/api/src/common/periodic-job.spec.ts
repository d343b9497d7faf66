import { describe, expect, it } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { PeriodicJob } from './periodic-job.js';

const silentLogger = (errors: unknown[]): Logger =>
  ({ error: (...args: unknown[]) => errors.push(args) }) as unknown as Logger;

describe('PeriodicJob', () => {
  it('joins the run under way instead of starting a second one', async () => {
    let runs = 0;
    let finish: (value: number) => void = () => undefined;
    const job = new PeriodicJob({
      intervalMs: 0,
      run: () => {
        runs += 1;
        return new Promise<number>((resolve) => (finish = resolve));
      },
      logger: silentLogger([]),
      failureMessage: 'failed',
    });
    const first = job.runOnce();
    const second = job.runOnce();
    finish(7);
    expect(await Promise.all([first, second])).toEqual([7, 7]);
    expect(runs).toBe(1);
    // Once finished, the next call starts a new run.
    const third = job.runOnce();
    finish(1);
    expect(await third).toBe(1);
    expect(runs).toBe(2);
  });

  it('logs a failed run and answers 0, and the next run goes ahead', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const job = new PeriodicJob({
      intervalMs: 0,
      run: () => (fail ? Promise.reject(new Error('boom')) : Promise.resolve(3)),
      logger: silentLogger(errors),
      failureMessage: 'Job failed',
    });
    expect(await job.runOnce()).toBe(0);
    expect(errors).toHaveLength(1);
    fail = false;
    expect(await job.runOnce()).toBe(3);
  });

  it('runs on its interval and after its start delay, and stop waits for the run', async () => {
    let runs = 0;
    const job = new PeriodicJob({
      intervalMs: 40,
      startDelayMs: 5,
      run: async () => {
        runs += 1;
        await new Promise((resolve) => setTimeout(resolve, 10));
        return 1;
      },
      logger: silentLogger([]),
      failureMessage: 'failed',
    });
    job.start();
    // At least two runs (the start and a tick), however late a busy machine runs the timers.
    for (let waited = 0; runs < 2 && waited < 5_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await job.stop();
    const stoppedAt = runs;
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runs).toBe(stoppedAt);
  });

  it('asks the run under way to stop at shutdown, and waits for it to end', async () => {
    let steps = 0;
    let ended = false;
    const job = new PeriodicJob({
      intervalMs: 0,
      run: async (isStopping) => {
        // A long run that checks between its steps, as the purges and re-verification do.
        while (!isStopping()) {
          steps += 1;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        ended = true;
        return steps;
      },
      logger: silentLogger([]),
      failureMessage: 'failed',
    });
    const run = job.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await job.stop();
    expect(ended).toBe(true);
    const stoppedAt = steps;
    expect(await run).toBe(stoppedAt);
    expect(stoppedAt).toBeGreaterThan(0);
  });

  it('never schedules with an interval of 0', async () => {
    let runs = 0;
    const job = new PeriodicJob({
      intervalMs: 0,
      startDelayMs: 1,
      run: () => Promise.resolve((runs += 1)),
      logger: silentLogger([]),
      failureMessage: 'failed',
    });
    job.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs).toBe(0);
  });
});
