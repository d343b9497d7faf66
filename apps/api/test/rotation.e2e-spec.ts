import { describe, expect, it } from '@jest/globals';
import type { ProviderKeyResponse, ProviderKeyTestResponse } from '@keyward/shared';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { API_ENTRY, startApi, type ApiProcess } from './support/api-process.js';
import { fakeKey, startFakeUpstream } from './support/fake-upstream.js';
import { call, signIn, signUp } from './support/http.js';

const ROTATE_ENTRY = resolve(dirname(API_ENTRY), 'providers/rotate-keys.command.js');
const newKey = (version: string): string => `${version}:${randomBytes(32).toString('base64')}`;

describe('master key rotation', () => {
  it('re-wraps in resumable batches, every credential readable at every step, then retires the old key', async () => {
    const upstream = await startFakeUpstream();
    // Its own embedded database, so rotating cannot touch other tests' credentials.
    const dataDir = mkdtempSync(join(tmpdir(), 'keyward-rotation-'));
    const v1 = newKey('v1');
    const v2 = newKey('v2');
    const base = {
      ...upstream.envFor(),
      DATABASE_URL: undefined,
      PROVIDER_REVERIFY_INTERVAL_MINUTES: '0',
    };
    const start = (keys: string): Promise<ApiProcess> =>
      startApi({ dataDir, env: { ...base, ENCRYPTION_KEYS: keys } });
    const rotate = (keys: string, ...args: string[]) =>
      spawnSync(process.execPath, [ROTATE_ENTRY, ...args], {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, ENCRYPTION_KEYS: keys },
        encoding: 'utf8',
        timeout: 60_000,
      });

    try {
      let api = await start(v1);
      const user = await signUp(api.url, 'rotation');
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const created = await call<ProviderKeyResponse>(api.url, 'POST', '/api/provider-keys', {
          token: user.accessToken,
          body: {
            provider: 'openai',
            name: `key ${i}`,
            apiKey: fakeKey('openai', 'good'),
            verify: false,
          },
        });
        ids.push(created.body.id);
      }
      await api.stop();

      const allReadable = async (keys: string): Promise<void> => {
        api = await start(keys);
        const session = await signIn(api.url, user.email, user.password);
        for (const id of ids) {
          const tested = await call<ProviderKeyTestResponse>(
            api.url,
            'POST',
            `/api/provider-keys/${id}/test`,
            {
              token: session.accessToken,
            },
          );
          expect({ id, status: tested.body.status }).toEqual({ id, status: 'valid' });
        }
        await api.stop();
      };

      // Interrupted after one batch of two: rows are on both versions, all readable.
      const partial = rotate(`${v2},${v1}`, '--batch-size', '2', '--max-batches', '1');
      expect(partial.status).toBe(0);
      expect(partial.stdout).toMatch(/v1: 3/);
      expect(partial.stdout).toMatch(/v2 \(current\): 2/);
      await allReadable(`${v2},${v1}`);

      // Retiring v1 now is refused: rows still use it.
      const tooEarly = rotate(`${v2},${v1}`, '--retire', 'v1');
      expect(tooEarly.status).toBe(1);
      expect(tooEarly.stderr).toMatch(/3 credentials still use v1/);

      // Resumed: the rest moves over.
      const resumed = rotate(`${v2},${v1}`);
      expect(resumed.status).toBe(0);
      expect(resumed.stdout).toMatch(/Re-wrapped 3 credentials to v2/);
      expect(resumed.stdout).not.toMatch(/v1:/);
      expect(rotate(`${v2},${v1}`, '--retire', 'v1').stdout).toMatch(/No credential uses v1/);

      // v1 retired: everything still opens with v2 alone.
      await allReadable(v2);

      // And a deployment that lost the key in use refuses to start rather than fail later.
      const lost = spawnSync(process.execPath, [API_ENTRY], {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, ENCRYPTION_KEYS: v1, PORT: '0' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(lost.status).toBe(1);
      expect(lost.stderr).toMatch(/master key version\(s\) v2/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await upstream.stop();
    }
  });
});
