import { randomBytes } from 'node:crypto';
import type { ApiProcess } from '../../test/support/api-process.js';
import { load, queriesSent, round, type BenchSettings, type ScenarioResult } from '../harness.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const base62 = (length: number): string =>
  Array.from(randomBytes(length), (byte) => BASE62[byte % 62]).join('');

/**
 * 3. A flood of keys that cannot be right: garbage, and well-formed keys whose checksum is wrong.
 * Both must be refused without asking the database. The API under test runs with the per-IP
 * invalid-key limit raised, so every request takes the full refusal path instead of a 429.
 */
export async function invalidKeyFlood(
  api: ApiProcess,
  settings: BenchSettings,
): Promise<ScenarioResult> {
  // Many distinct keys, so no cache of a single refused value can make the figure look good.
  const garbage = Array.from({ length: 500 }, () => ({
    headers: { 'x-api-key': `not-a-key-${base62(24)}` },
  }));
  const wrongChecksum = Array.from({ length: 500 }, () => ({
    headers: { 'x-api-key': `kw_${base62(32)}${base62(6)}` },
  }));
  // Past the start-up jobs (the retention purge runs two seconds after start).
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  const start = await queriesSent(api);
  const floodGarbage = await load({
    url: `${api.url}/v1/models`,
    connections: settings.connections,
    seconds: settings.seconds,
    requests: garbage,
  });
  const floodChecksum = await load({
    url: `${api.url}/v1/models`,
    connections: settings.connections,
    seconds: settings.seconds,
    requests: wrongChecksum,
  });
  // What this API process sent to the database meanwhile (it serves nothing else).
  const statements = (await queriesSent(api)) - start;
  // Refused as a bad key, each one: not throttled, not failed, not dropped.
  const refused = [floodGarbage, floodChecksum].every(
    (flood) => flood.errors === 0 && flood.statuses['401'] === flood.total,
  );
  return {
    id: 3,
    title: 'Invalid-key flood (garbage and wrong-checksum keys on GET /v1/models)',
    figures: [
      { name: 'garbage req/s', value: round(floodGarbage.requestsPerSecond, 0) },
      { name: 'wrong-checksum req/s', value: round(floodChecksum.requestsPerSecond, 0) },
      { name: 'requests', value: floodGarbage.total + floodChecksum.total },
      { name: 'all refused with 401, no errors', value: refused ? 'yes' : 'no' },
      { name: 'database statements', value: statements },
    ],
    target: '0 database statements',
    met: statements === 0 && refused,
  };
}
