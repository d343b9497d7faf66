import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { join } from 'node:path';
import type { ApiProcess } from './api-process.js';

/**
 * Runs SQL against the database behind an API process, to check what it stored. On PostgreSQL
 * this works while the API runs; the embedded PGlite admits one process, so stop the API first.
 */
export async function queryDatabase<T = Record<string, unknown>>(
  api: ApiProcess,
  sql: string,
  parameters: unknown[] = [],
): Promise<T[]> {
  const url = api.env.DATABASE_URL;
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql, parameters)).rows as T[];
    } finally {
      await client.end();
    }
  }
  if (api.child.exitCode === null && api.child.signalCode === null) {
    throw new Error('stop the API before reading its embedded database');
  }
  const db = new PGlite(join(api.dataDir, 'pglite'));
  try {
    return (await db.query<T>(sql, parameters)).rows;
  } finally {
    await db.close();
  }
}

export const usesEmbeddedDatabase = (api: ApiProcess): boolean => !api.env.DATABASE_URL;
