import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DroppingOnTimeoutClient } from '../src/database/data-source.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

// PGlite runs inside the API process: there is no connection to lose.
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const describeOnPostgres = onPostgres ? describe : describe.skip;

describeOnPostgres('a pooled connection whose statement went unanswered (PostgreSQL only)', () => {
  let proxy: TcpProxy;
  let pool: pg.Pool;

  beforeAll(async () => {
    const target = new URL(process.env.TEST_DATABASE_URL ?? '');
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(target.href);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    pool = new pg.Pool({
      connectionString: viaProxy.href,
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
