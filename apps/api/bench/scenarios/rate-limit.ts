import type { ApiProcess } from '../../test/support/api-process.js';
import { withKey } from '../../test/support/keys.js';
import {
  benchUser,
  load,
  ratio,
  round,
  type BenchSettings,
  type ScenarioResult,
} from '../harness.js';

const LIMIT = 200;
const WINDOW_SECONDS = 60;
const CONCURRENCY = 100;

/**
 * 4. Two replicas sharing Redis, one key limited to L per window, 10 x L concurrent requests
 * spread over both: exactly L may pass. Then one busy key for a long run: the limiter must not
 * slow down as its counters age.
 */
export async function rateLimitAccuracy(
  replicas: [ApiProcess, ApiProcess],
  settings: BenchSettings,
): Promise<ScenarioResult> {
  const user = await benchUser(replicas[0], {
    rateLimit: { limit: LIMIT, windowSeconds: WINDOW_SECONDS },
  });
  const statuses = new Map<number, number>();
  let next = 0;
  const total = 10 * LIMIT;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next++;
      const replica = replicas[index % 2] ?? replicas[0];
      const response = await fetch(`${replica.url}/v1/whoami`, { headers: withKey(user.key) });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const admitted = statuses.get(200) ?? 0;
  const limited = statuses.get(429) ?? 0;

  const busy = await benchUser(replicas[0], { rateLimit: { limit: 10_000, windowSeconds: 1 } });
  const busyLoad = {
    url: `${replicas[0].url}/v1/whoami`,
    headers: withKey(busy.key),
    connections: settings.connections,
  };
  // Warmed first (the key's cache entry and lease), so the first seconds measure the limiter,
  // not a cold start.
  await load({ ...busyLoad, seconds: 2 });
  const sustained = await load({ ...busyLoad, seconds: settings.sustainSeconds });
  // The run's first second, in which the load generator opens its connections, is left out: it
  // would make the first 5 s look slower than they are.
  const first = sum(sustained.perSecond.slice(1, 6));
  const last = sum(sustained.perSecond.slice(-5));
  const stability = ratio(last, first);
  return {
    id: 4,
    title: `Rate-limit accuracy (2 replicas, Redis, L=${LIMIT}, ${total} concurrent requests)`,
    figures: [
      { name: 'admitted', value: admitted },
      { name: '429', value: limited },
      { name: 'other', value: total - admitted - limited },
      {
        name: `busy key ${settings.sustainSeconds} s: last 5 s / seconds 2-6`,
        value: round(stability),
      },
      { name: 'busy key req/s', value: round(sustained.requestsPerSecond, 0) },
    ],
    target: `admitted exactly ${LIMIT}, no other status; stability >= 0.95`,
    met: admitted === LIMIT && limited === total - LIMIT && stability >= 0.95,
    note:
      "Stability is the busy run's last 5 whole seconds against its seconds 2 to 6: the key is " +
      'warmed for 2 s first, and the first second, in which the load generator opens its ' +
      'connections, is left out.',
  };
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
