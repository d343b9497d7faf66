import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ApiProcess } from './api-process.js';

/** Runs one query after another on a single connection. */
type Querier = <T>(sql: string, parameters?: unknown[]) => Promise<T[]>;

/**
 * Opens one connection to the database behind an API process for `work`. On PostgreSQL this
 * works while the API runs; the embedded PGlite admits one process, so stop the API first.
 */
async function onConnection<R>(api: ApiProcess, work: (query: Querier) => Promise<R>): Promise<R> {
  const url = api.env.DATABASE_URL;
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await work(
        async <T>(sql: string, parameters: unknown[] = []) =>
          (await client.query(sql, parameters)).rows as T[],
      );
    } finally {
      await client.end();
    }
  }
  if (api.child.exitCode === null && api.child.signalCode === null) {
    throw new Error('stop the API before reading its embedded database');
  }
  const db = new PGlite(join(api.dataDir, 'pglite'));
  try {
    return await work(
      async <T>(sql: string, parameters: unknown[] = []) =>
        (await db.query<T>(sql, parameters)).rows,
    );
  } finally {
    await db.close();
  }
}

/** Runs SQL against the database behind an API process, to check what it stored. */
export function queryDatabase<T = Record<string, unknown>>(
  api: ApiProcess,
  sql: string,
  parameters: unknown[] = [],
): Promise<T[]> {
  return onConnection(api, (query) => query<T>(sql, parameters));
}

/**
 * The plan PostgreSQL would choose for `sql` if the table were large: with sequential scans
 * priced out, a query an index can serve shows that index, and one it cannot still scans.
 */
export function planOf(api: ApiProcess, sql: string, parameters: unknown[] = []): Promise<string> {
  return onConnection(api, async (query) => {
    await query('SET enable_seqscan = off');
    const rows = await query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, parameters);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

export const usesEmbeddedDatabase = (api: ApiProcess): boolean => !api.env.DATABASE_URL;

/**
 * A PostgreSQL database of its own for one test file, on the server of the run's database, for a
 * test that needs what only an empty database gives (the first admin, every row its own).
 */
export async function createScratchDatabase(
  runDatabaseUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `keyward_scratch_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new URL(runDatabaseUrl);
  admin.pathname = '/postgres';
  const run = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(runDatabaseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Waits until at least `count` statements wait on a lock that `holder`'s transaction holds,
 * directly or queued behind another such waiter; answers how many there were when it stopped
 * (fewer after `timeoutMs`). Only waiters of `holder` count: the run's test files share one
 * database, and another file's lock waits must not let a test go on early. The activity view is
 * read once per transaction, so its snapshot is cleared before each look.
 */
export async function lockWaiters(
  holder: pg.Client,
  count: number,
  timeoutMs = 5_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await holder.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await holder.query<{ waiting: string }>(
      `WITH RECURSIVE waiter(pid) AS (
         SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))
         UNION
         SELECT activity.pid FROM pg_stat_activity activity
           JOIN waiter ON waiter.pid = ANY (pg_blocking_pids(activity.pid))
       )
       SELECT count(*) AS waiting FROM waiter`,
    );
    const waiting = Number(rows[0]?.waiting ?? 0);
    if (waiting >= count || Date.now() > deadline) return waiting;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
