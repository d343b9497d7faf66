import pg from 'pg';
import { randomBytes } from 'node:crypto';

/**
 * One fresh PostgreSQL database per test run (dropped by the teardown), when the run targets
 * PostgreSQL. With TEST_DB=pglite every API process a test starts gets its own embedded database
 * in a temporary data directory instead.
 */
export default async function globalSetup(): Promise<void> {
  if ((process.env.TEST_DB ?? 'pglite') !== 'postgres') return;
  const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `keyward_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  process.env.TEST_DATABASE_URL = url.toString();
  process.env.TEST_DATABASE_NAME = name;
}
