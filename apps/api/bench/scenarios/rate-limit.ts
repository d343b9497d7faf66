import type { ApiProcess } from '../../test/support/api-process.js';
import { withKey } from '../../test/support/keys.js';
import {
  benchUser,
  faultCounts,
  load,
  ratio,
  round,
  type BenchSettings,
  type ScenarioResult,
} from '../harness.js';

const LIMIT = 200;
const WINDOW_SECONDS = 60;
/** The burst must end in the window it starts in: a window that began later counts afresh. */
const LATEST_START_IN_WINDOW_MS = 30_000;

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
  const total = 10 * LIMIT;
  // Windows are aligned to the clock; one that began during the burst would count afresh.
  const intoWindow = Date.now() % (WINDOW_SECONDS * 1000);
  if (intoWindow > LATEST_START_IN_WINDOW_MS) {
    await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 - intoWindow + 100));
  }
  // Every request at once, alternating between the replicas.
  await Promise.all(
    Array.from({ length: total }, async (_, index) => {
      const replica = replicas[index % 2] ?? replicas[0];
      // 0 for a request that failed outright.
      const status = await fetch(`${replica.url}/v1/whoami`, { headers: withKey(user.key) }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => 0,
      );
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }),
  );
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
  // Answers past the key's 10,000 a second are 429s, answered too; anything else is a fault.
  const busyFaults = [...faultCounts(sustained)]
    .filter(([what]) => what !== '429')
    .reduce((total, [, count]) => total + count, 0);
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
      { name: 'busy key 429 (over 10,000 a second)', value: sustained.statuses['429'] ?? 0 },
      { name: 'busy key other answers and errors', value: busyFaults },
    ],
    target: `admitted exactly ${LIMIT}, no other status; stability >= 0.95`,
    met: admitted === LIMIT && limited === total - LIMIT && stability >= 0.95 && busyFaults === 0,
    note:
      'The burst sends all its requests at once, within one window. Stability is the busy ' +
      "run's last 5 whole seconds against its seconds 2 to 6, counting every answer (429s past " +
      "the key's limit too): the key is warmed for 2 s first, and the first second, in which " +
      'the load generator opens its connections, is left out.',
  };
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
