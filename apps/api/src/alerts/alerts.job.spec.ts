import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DAY_MS } from '@keyward/shared';
import type { AppConfig } from '../config/app-config.js';
import { AlertsJob } from './alerts.job.js';
import type { AlertsService } from './alerts.service.js';

type Fired = Parameters<AlertsService['fireOnce']>[0];

/**
 * The job over a database that answers its two rule queries with `rows`, and alerts whose
 * `fireOnce` fails for the users in `failingUsers` (a failure `failingRule` names fails that
 * whole rule's query instead).
 */
function jobWith(options: {
  expiring: { id: string; user_id: string }[];
  errorRates: { user_id: string }[];
  failingUsers?: string[];
  failingRule?: 'expiring' | 'errorRates';
  /** Every alert fired after this many fails as a lost database connection does. */
  databaseGoneAfter?: number;
  /** Each alert is fired once this settles. */
  firing?: Promise<void>;
}) {
  const fired: Fired[] = [];
  const logged: string[] = [];
  const query = (sql: string): Promise<unknown[]> => {
    const rule = sql.includes('FROM api_keys') ? 'expiring' : 'errorRates';
    if (options.failingRule === rule) return Promise.reject(new Error('statement timeout'));
    if (rule === 'expiring') {
      return Promise.resolve(
        options.expiring.map((row) => ({
          ...row,
          name: `key ${row.id}`,
          expires_at: new Date(Date.now() + 3 * DAY_MS),
        })),
      );
    }
    return Promise.resolve(
      options.errorRates.map((row) => ({
        ...row,
        requests: '100',
        failures: '50',
        server_errors: '50',
        refused_by_limits: '0',
      })),
    );
  };
  const dataSource = {
    query,
    createQueryRunner: () => ({
      connect: () => Promise.resolve(),
      release: () => Promise.resolve(),
      query: (sql: string) =>
        Promise.resolve(sql.includes('pg_try_advisory_lock') ? [{ locked: true }] : []),
    }),
  } as unknown as DataSource;
  const alerts = {
    fireOnce: async (mark: Fired) => {
      fired.push(mark);
      await options.firing;
      if (options.databaseGoneAfter !== undefined && fired.length > options.databaseGoneAfter) {
        return Promise.reject(
          Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
        );
      }
      if (options.failingUsers?.includes(mark.userId)) {
        return Promise.reject(new Error('could not write the notification'));
      }
      return Promise.resolve(true);
    },
  } as unknown as AlertsService;
  const job = new AlertsJob(
    { alerts: { checkIntervalSeconds: 0 } } as AppConfig,
    dataSource,
    alerts,
  );
  const logger = (job as unknown as { logger: Logger }).logger;
  logger.error = (fields: unknown, message?: unknown) => {
    const { err } = fields as { err?: Error };
    logged.push(`${String(message)}: ${err?.message ?? 'no error given'}`);
  };
  return { job, fired, logged };
}

describe('AlertsJob', () => {
  it("goes on to everyone else's alerts when one user's cannot be fired", async () => {
    const { job, fired, logged } = jobWith({
      expiring: [
        { id: 'key_a', user_id: 'usr_broken' },
        { id: 'key_b', user_id: 'usr_fine' },
      ],
      errorRates: [{ user_id: 'usr_broken' }, { user_id: 'usr_fine' }],
      failingUsers: ['usr_broken'],
    });

    // The two alerts of the user whose notifications cannot be written are not counted.
    await expect(job.runOnce()).resolves.toBe(2);
    expect(fired.map((mark) => `${mark.subject} ${mark.userId}`)).toEqual([
      'key.expiring:key_a usr_broken',
      'key.expiring:key_b usr_fine',
      'usage.error_rate usr_broken',
      'usage.error_rate usr_fine',
    ]);
    expect(logged).toEqual([
      'Could not fire the expiry warning of key key_a: could not write the notification',
      'Could not fire the error-rate alert of user usr_broken: could not write the notification',
    ]);
  });

  it('stops between alerts at shutdown, after the one being fired', async () => {
    let release: () => void = () => undefined;
    const { job, fired } = jobWith({
      expiring: [
        { id: 'key_a', user_id: 'usr_a' },
        { id: 'key_b', user_id: 'usr_b' },
      ],
      errorRates: [{ user_id: 'usr_a' }],
      firing: new Promise((resolve) => (release = resolve)),
    });
    const run = job.runOnce();
    while (fired.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const shutdown = job.onApplicationShutdown();
    release();
    await shutdown;
    // The alert under way was fired; the rest wait for the next run, on whichever replica.
    await expect(run).resolves.toBe(1);
    expect(fired.map((mark) => mark.subject)).toEqual(['key.expiring:key_a']);
  });

  it('runs the error-rate rule when the expiring-keys rule fails', async () => {
    const { job, fired, logged } = jobWith({
      expiring: [{ id: 'key_a', user_id: 'usr_a' }],
      errorRates: [{ user_id: 'usr_a' }],
      failingRule: 'expiring',
    });

    await expect(job.runOnce()).resolves.toBe(1);
    expect(fired.map((mark) => mark.subject)).toEqual(['usage.error_rate']);
    expect(logged).toEqual(['Alert rule "expiring keys" failed: statement timeout']);
  });

  it('runs the expiring-keys rule when the error-rate rule fails', async () => {
    const { job, fired, logged } = jobWith({
      expiring: [{ id: 'key_a', user_id: 'usr_a' }],
      errorRates: [{ user_id: 'usr_a' }],
      failingRule: 'errorRates',
    });

    await expect(job.runOnce()).resolves.toBe(1);
    expect(fired.map((mark) => mark.subject)).toEqual(['key.expiring:key_a']);
    expect(logged).toEqual(['Alert rule "error rates" failed: statement timeout']);
  });

  it('ends a rule at the first alert that finds the database gone, with one line', async () => {
    const { job, fired, logged } = jobWith({
      expiring: [
        { id: 'key_a', user_id: 'usr_a' },
        { id: 'key_b', user_id: 'usr_b' },
        { id: 'key_c', user_id: 'usr_c' },
      ],
      errorRates: [{ user_id: 'usr_a' }, { user_id: 'usr_b' }],
      databaseGoneAfter: 1,
    });

    await expect(job.runOnce()).resolves.toBe(1);
    // The first key's warning went out; the second met the outage and the third was not tried.
    // The error-rate rule's query is answered here, and its first alert meets the outage too.
    expect(fired.map((mark) => mark.subject)).toEqual([
      'key.expiring:key_a',
      'key.expiring:key_b',
      'usage.error_rate',
    ]);
    expect(logged).toEqual([
      'Stopped at the expiry warning of key key_b: the database went away: connect ECONNREFUSED 127.0.0.1:5432',
      'Stopped at the error-rate alert of user usr_a: the database went away: connect ECONNREFUSED 127.0.0.1:5432',
    ]);
  });
});
