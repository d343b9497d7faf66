import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { LogThrottle } from '../common/log-throttle.js';
import type { AppConfig } from '../config/app-config.js';
import { ENTITIES } from './entities.js';
import { QueryCounter } from './query-counter.js';
import { QUERY_READ_TIMEOUT } from './unavailable.js';
import { MIGRATIONS } from './migrations/index.js';

/**
 * How long past DATABASE_QUERY_TIMEOUT_MS the client waits for a statement before taking the
 * server for unreachable: time for the server's own cancellation to arrive.
 */
const UNANSWERED_AFTER_CANCEL_MS = 1_000;

/**
 * `requests`: the running API, whose statements time out (DATABASE_QUERY_TIMEOUT_MS).
 * `maintenance`: migrations and commands, which may legitimately run long (an index built on a
 * big table) and have no caller waiting.
 */
export type DatabaseUse = 'requests' | 'maintenance';

/**
 * The one switch between the real PostgreSQL server and the embedded PGlite. Both run the same
 * migrations; nothing else in the app knows which one it talks to.
 */
export function createDataSourceOptions(
  database: AppConfig['database'],
  use: DatabaseUse,
): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    // Only the statement count (see QueryCounter); nothing is written to the log.
    logging: ['query' as const],
    logger: new QueryCounter(),
  };
  switch (database.kind) {
    case 'postgres':
      return {
        ...common,
        url: database.url,
        poolErrorHandler: reportPoolError,
        extra: {
          max: 20,
          // Also bounds the wait for a free pooled connection: while the database is away a
          // request gets its 503 within this time instead of hanging.
          connectionTimeoutMillis: 5_000,
          idleTimeoutMillis: 30_000,
          // A server that is there but slow (a heavy query, a lock held) cancels a statement
          // running past the timeout itself (statement_timeout below): 503 database_timeout.
          // One that stops answering without closing its connections (a network partition, a
          // frozen server) cannot; the client gives up a moment later instead of hanging, and
          // drops the connection (DroppingOnTimeoutClient): 503 database_unavailable. The
          // moment between lets a live server's cancellation arrive first, so the two are told
          // apart.
          ...(use === 'requests'
            ? { query_timeout: database.queryTimeoutMs + UNANSWERED_AFTER_CANCEL_MS }
            : {}),
          Client: DroppingOnTimeoutClient,
          // Day boundaries (usage per day) are UTC whatever the server's own time zone.
          options: `-c TimeZone=UTC${use === 'requests' ? ` -c statement_timeout=${database.queryTimeoutMs}` : ''}`,
        },
      };
    case 'pglite':
      return { ...common, driver: new PGliteDriver({ dataDir: database.dataDir }).driver };
  }
}

const poolLogger = new Logger('Database');
/** At most one line per 30 s however many idle connections an outage breaks. */
const poolErrors = new LogThrottle(30_000);

/**
 * An idle pooled connection that the server or the network drops raises an error on the pool;
 * unhandled, it would end the process. The pool discards the connection and opens a new one when
 * next needed, so a warning is all it takes.
 */
function reportPoolError(error: Error): void {
  if (poolErrors.pass() === undefined) return;
  poolLogger.warn(`An idle database connection was lost (${error.message}); it will be replaced`);
}

/** A fixed advisory-lock id so two replicas starting at once do not both migrate. */
const MIGRATION_LOCK_ID = 0x6b657977; // "keyw"

export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((migration) => migration.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * Applies pending migrations through connections of their own, without the statement timeout,
 * and returns their names.
 */
export async function migrateDatabase(database: AppConfig['database']): Promise<string[]> {
  const migrating = new DataSource(createDataSourceOptions(database, 'maintenance'));
  await migrating.initialize();
  try {
    return await runMigrations(migrating);
  } finally {
    await migrating.destroy();
  }
}

/** Migrates, then opens the API's connections. */
export async function openDatabase(database: AppConfig['database']): Promise<DataSource> {
  // PGlite runs in process, one instance per data directory, with no statement timeout to lift:
  // it migrates on the API's own data source.
  if (database.kind === 'postgres') await migrateDatabase(database);
  const dataSource = new DataSource(createDataSourceOptions(database, 'requests'));
  await dataSource.initialize();
  if (database.kind === 'pglite') await runMigrations(dataSource);
  return dataSource;
}

/**
 * node-postgres fails a statement unanswered for `query_timeout` but keeps its connection, with
 * the statement still outstanding: the pool would hand that connection out again, and the next
 * statement would queue behind the lost one. Every pooled connection is of this kind, which ends
 * itself instead (with a statement outstanding, `end()` destroys the socket and the pool drops
 * the client on release), so the pool opens a new one. What was already sent may still reach
 * the server once a partition heals: usage events are written idempotently for that reason.
 * (PGlite runs in process: it has no connection to lose.)
 */
export class DroppingOnTimeoutClient extends pg.Client {
  constructor(config?: pg.ClientConfig) {
    super(config);
    const client = this as unknown as { query: (...args: unknown[]) => unknown };
    const query = client.query.bind(this);
    client.query = (...args: unknown[]): unknown => {
      const result = query(...args);
      if (result instanceof Promise) {
        result.catch((error: unknown) => {
          if (error instanceof Error && error.message === QUERY_READ_TIMEOUT) {
            void this.end().catch(() => undefined);
          }
        });
      }
      return result;
    };
  }
}
