import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../src/config/app-config.js';
import { KeyActivityRecorder } from '../src/keys/key-activity.recorder.js';
import { startApi, type ApiProcess } from './support/api-process.js';
import { queryDatabase, usesEmbeddedDatabase } from './support/database.js';
import { signUp } from './support/http.js';
import { createKey } from './support/keys.js';

const config = { keys: { activityFlushMs: 60_000, lastUsedResolutionSeconds: 60 } } as AppConfig;

/**
 * The recorder's statement run against the real database, where each write can fail on
 * purpose: before it reaches the database, or after it committed (a timeout whose answer was
 * lost, which the recorder cannot tell from a write that did not land).
 */
function databaseWithFailures(api: ApiProcess) {
  const failures: ('before' | 'after')[] = [];
  const dataSource = {
    query: async (sql: string, parameters: unknown[]) => {
      const failure = failures.shift();
      if (failure === 'before') throw new Error('Connection terminated unexpectedly');
      const rows = await queryDatabase(api, sql, parameters);
      if (failure === 'after') throw new Error('Query read timeout');
      return rows;
    },
  } as unknown as DataSource;
  return { recorder: new KeyActivityRecorder(config, dataSource), failures };
}

describe('key activity through failed writes', () => {
  let api: ApiProcess;
  let keyIds: string[];

  beforeAll(async () => {
    // The data directory outlives the process: the embedded database is read from it after.
    api = await startApi({ cleanup: false });
    const owner = await signUp(api.url, 'activity');
    keyIds = [];
    for (let i = 0; i < 2; i += 1) keyIds.push((await createKey(api.url, owner.accessToken)).id);
    // The recorder under test writes alone (and the embedded database admits one process).
    await api.stop();
  });
  afterAll(() => {
    rmSync(api.dataDir, { recursive: true, force: true });
  });

  const requestsOf = async (keyId: string): Promise<number> => {
    const rows = await queryDatabase<{ requests: string }>(
      api,
      'SELECT COALESCE(sum(requests), 0) AS requests FROM api_key_daily_usage WHERE key_id = $1',
      [keyId],
    );
    return Number(rows[0]?.requests ?? 0);
  };

  it('counts a batch once when its first write landed but the answer was lost', async () => {
    const [keyId = ''] = keyIds;
    const { recorder, failures } = databaseWithFailures(api);
    for (let i = 0; i < 3; i += 1) recorder.recordUse(keyId, 'ksv_none');
    failures.push('after');
    await recorder.flush();
    expect(await requestsOf(keyId)).toBe(3); // it did land
    // Newer uses go in a batch of their own, after the failed one is sent again.
    for (let i = 0; i < 2; i += 1) recorder.recordUse(keyId, 'ksv_none');
    await recorder.flush();
    expect(await requestsOf(keyId)).toBe(5);
    await recorder.flush();
    expect(await requestsOf(keyId)).toBe(5);
  });

  it('writes a batch whose first write never reached the database', async () => {
    const [, keyId = ''] = keyIds;
    const { recorder, failures } = databaseWithFailures(api);
    for (let i = 0; i < 3; i += 1) recorder.recordUse(keyId, 'ksv_none');
    failures.push('before', 'before');
    await recorder.flush();
    await recorder.flush();
    expect(await requestsOf(keyId)).toBe(0);
    recorder.recordUse(keyId, 'ksv_none');
    await recorder.flush();
    expect(await requestsOf(keyId)).toBe(4);
  });
});

describe('key activity flushed by several replicas at once', () => {
  const REPLICAS = 4;
  const ROUNDS = 20;
  const KEYS = 300;
  let api: ApiProcess;
  let keyIds: string[] = [];
  let clients: pg.Client[] = [];

  beforeAll(async () => {
    api = await startApi();
    // Several connections writing while the API runs: PostgreSQL only.
    if (usesEmbeddedDatabase(api)) return;
    const owner = await signUp(api.url, 'activity-replicas');
    const model = (await createKey(api.url, owner.accessToken)).id;
    // Copies of one key and its secret: many keys, quickly.
    await queryDatabase(
      api,
      `INSERT INTO api_keys
       SELECT (jsonb_populate_record(NULL::api_keys,
                 to_jsonb(k) || jsonb_build_object('id', k.id || '_' || n))).*
         FROM api_keys k, generate_series(1, $2::int) n WHERE k.id = $1`,
      [model, KEYS],
    );
    await queryDatabase(
      api,
      `INSERT INTO api_key_secrets
       SELECT (jsonb_populate_record(NULL::api_key_secrets,
                 to_jsonb(s) || jsonb_build_object('id', s.id || '_' || n, 'key_id', s.key_id || '_' || n,
                   'key_hash', s.key_hash || '_' || n))).*
         FROM api_key_secrets s, generate_series(1, $2::int) n WHERE s.key_id = $1`,
      [model, KEYS],
    );
    keyIds = Array.from({ length: KEYS }, (_, n) => `${model}_${n + 1}`);
    clients = await Promise.all(
      Array.from({ length: REPLICAS }, async () => {
        const client = new pg.Client({ connectionString: api.env.DATABASE_URL });
        await client.connect();
        return client;
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end()));
    // The copies leave the run's shared database as they came.
    if (keyIds.length > 0) {
      for (const table of ['api_key_daily_usage', 'api_key_secrets']) {
        await queryDatabase(api, `DELETE FROM ${table} WHERE key_id = ANY($1)`, [keyIds]);
      }
      await queryDatabase(api, 'DELETE FROM api_keys WHERE id = ANY($1)', [keyIds]);
    }
    await api.stop();
  });

  it('writes the same busy keys from every replica without a deadlock', async () => {
    if (usesEmbeddedDatabase(api)) return;
    const secretsOf = new Map(
      (
        await queryDatabase<{ id: string; key_id: string }>(
          api,
          'SELECT id, key_id FROM api_key_secrets WHERE key_id = ANY($1)',
          [keyIds],
        )
      ).map((row) => [row.key_id, row.id]),
    );
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // A replica's batch lists its keys in the order their requests came: each its own here.
      const recorders = clients.map((client) => {
        const dataSource = {
          query: async (sql: string, parameters: unknown[]) => {
            try {
              return (await client.query(sql, parameters)).rows as unknown[];
            } catch (error) {
              failures.push((error as { code?: string }).code ?? String(error));
              throw error;
            }
          },
        } as unknown as DataSource;
        const recorder = new KeyActivityRecorder(config, dataSource);
        const order = [...keyIds].sort(() => Math.random() - 0.5);
        for (const keyId of order) recorder.recordUse(keyId, secretsOf.get(keyId) ?? '');
        return recorder;
      });
      await Promise.all(recorders.map((recorder) => recorder.flush()));
    }
    expect(failures).toEqual([]);
    const [counted] = await queryDatabase<{ requests: string; used: string }>(
      api,
      `SELECT (SELECT sum(requests) FROM api_key_daily_usage WHERE key_id = ANY($1)) AS requests,
              (SELECT count(*) FROM api_keys WHERE id = ANY($1) AND last_used_at IS NOT NULL) AS used`,
      [keyIds],
    );
    expect(Number(counted?.requests)).toBe(REPLICAS * ROUNDS * KEYS);
    expect(Number(counted?.used)).toBe(KEYS);
  });
});
