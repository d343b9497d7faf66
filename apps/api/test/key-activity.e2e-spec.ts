import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../src/config/app-config.js';
import { KeyActivityRecorder } from '../src/keys/key-activity.recorder.js';
import { startApi, type ApiProcess } from './support/api-process.js';
import { queryDatabase } from './support/database.js';
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
