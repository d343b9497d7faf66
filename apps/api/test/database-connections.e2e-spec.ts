import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DroppingOnTimeoutClient } from '../src/database/data-source.js';
import { startApi, type ApiProcess } from './support/api-process.js';
import { createScratchDatabase } from './support/database.js';
import { call, signIn, type ErrorResult } from './support/http.js';
import { startDatabaseProxy, type TcpProxy } from './support/tcp-proxy.js';

// PGlite runs inside the API process: there is no connection to lose.
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const describeOnPostgres = onPostgres ? describe : describe.skip;

describeOnPostgres('a pooled connection whose statement went unanswered (PostgreSQL only)', () => {
  let proxy: TcpProxy;
  let pool: pg.Pool;

  beforeAll(async () => {
    const proxied = await startDatabaseProxy(process.env.TEST_DATABASE_URL ?? '');
    proxy = proxied.proxy;
    pool = new pg.Pool({
      connectionString: proxied.url,
      Client: DroppingOnTimeoutClient,
      query_timeout: 300,
      max: 1,
    });
  });
  afterAll(async () => {
    await pool.end();
    await proxy.stop();
  });

  it('leaves the pool, and the next statement gets a connection of its own', async () => {
    const client = await pool.connect();
    expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    proxy.stall();
    await expect(client.query('SELECT 2')).rejects.toThrow('Query read timeout');
    client.release();
    // Not kept for the next caller, who would queue behind the statement still outstanding.
    expect(pool.totalCount).toBe(0);
    proxy.resume();
    const next = await pool.query<{ three: number }>('SELECT 3 AS three');
    expect(next.rows).toEqual([{ three: 3 }]);
  });
});

describeOnPostgres('a statement running past DATABASE_QUERY_TIMEOUT_MS (PostgreSQL only)', () => {
  const timeoutMs = 1_500;
  let database: { url: string; drop(): Promise<void> };
  let api: ApiProcess;
  let token: string;

  beforeAll(async () => {
    // A database of its own: the lock below would stall every other test's usage reads.
    database = await createScratchDatabase(process.env.TEST_DATABASE_URL ?? '');
    api = await startApi({
      env: { DATABASE_URL: database.url, DATABASE_QUERY_TIMEOUT_MS: String(timeoutMs) },
    });
    token = (await signIn(api.url, 'admin@keyward.test', 'admin-password-for-tests')).accessToken;
  }, 60_000);
  afterAll(async () => {
    await api.stop();
    await database.drop();
  });

  it('is cancelled by the server and answered 503 database_timeout, not taken for an outage', async () => {
    const summary = () => call(api.url, 'GET', '/api/usage/summary?days=30', { token });
    expect((await summary()).status).toBe(200);
    // A lock held elsewhere keeps the usage read waiting, as a heavy query would.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE usage_daily IN ACCESS EXCLUSIVE MODE');
      const started = performance.now();
      const refused = (await summary()) as ErrorResult;
      const waitedMs = performance.now() - started;
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('database_timeout');
      expect(refused.body.message).toMatch(/took too long/);
      // The server's cancellation, before the client would have given up on it.
      expect(waitedMs).toBeGreaterThanOrEqual(timeoutMs - 50);
      expect(waitedMs).toBeLessThan(timeoutMs + 1_000);
      // Other requests are served meanwhile: the pool kept its connections.
      const health = await call(api.url, 'GET', '/api/health');
      expect(health.status).toBe(200);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect((await summary()).status).toBe(200);
    expect(api.output()).toContain('A statement ran past its timeout: GET /api/usage/summary');
  });
});
