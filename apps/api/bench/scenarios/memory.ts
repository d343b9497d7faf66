import type { ApiProcess } from '../../test/support/api-process.js';
import { createKey, withKey } from '../../test/support/keys.js';
import {
  benchUser,
  chatBody,
  load,
  residentMiB,
  round,
  type BenchSettings,
  type ScenarioResult,
} from '../harness.js';

const KEYS = 200;

/**
 * 7. Resident memory of the API after warming up and after a long run at full load, over many
 * keys and the chat route, so every cache and buffer fills towards its bound.
 */
export async function memoryUnderLoad(
  api: ApiProcess,
  settings: BenchSettings,
): Promise<ScenarioResult> {
  const pid = api.child.pid ?? 0;
  const atStart = residentMiB(pid);
  const owner = await benchUser(api);
  const keys = [owner.key];
  for (let i = 1; i < KEYS; i++) {
    keys.push((await createKey(api.url, owner.accessToken, { name: `memory ${i}` })).key);
  }
  const requests = keys.flatMap((key) => [
    { method: 'GET' as const, path: '/v1/models', headers: withKey(key) },
    {
      method: 'POST' as const,
      path: '/v1/chat/completions',
      headers: { ...withKey(key), 'content-type': 'application/json' },
      body: chatBody,
    },
  ]);
  const run = (seconds: number) =>
    load({ url: api.url, connections: settings.connections, seconds, requests });
  await run(Math.min(20, settings.memorySeconds));
  const warmed = residentMiB(pid);
  const long = await run(settings.memorySeconds);
  const after = residentMiB(pid);
  const growth = (after - warmed) / warmed;
  return {
    id: 7,
    title: `Memory (RSS, ${KEYS} keys, ${settings.memorySeconds} s at full load)`,
    figures: [
      { name: 'at start', value: round(atStart, 0), unit: 'MiB' },
      { name: 'warmed up', value: round(warmed, 0), unit: 'MiB' },
      { name: 'after the run', value: round(after, 0), unit: 'MiB' },
      { name: 'growth after warm-up', value: `${round(growth * 100, 1)}%` },
      { name: 'requests', value: long.total },
    ],
    target: 'growth after warm-up <= 10% (caches and buffers are bounded)',
    met: growth <= 0.1 && long.errors === 0,
  };
}
