import type { ApiProcess } from '../../test/support/api-process.js';
import {
  alternate,
  combined,
  faultsOf,
  FLUSHES_SETTLE_MS,
  keysTakingTurns,
  load,
  pairedMedian,
  ratio,
  round,
  type BenchSettings,
  type Reference,
  type ScenarioResult,
} from '../harness.js';

/**
 * 1. What a key check costs: an authenticated `GET /v1/models` (key lookup, rate limit, usage
 * event, model list) against the same server's unauthenticated liveness route, which does no I/O.
 */
export async function keyCheckOverhead(
  api: ApiProcess,
  reference: Reference,
  settings: BenchSettings,
): Promise<ScenarioResult> {
  const keys = await keysTakingTurns(api);
  const common = { connections: settings.connections, seconds: settings.pairSeconds };
  // Warm both paths (key cache, connection pools, JIT) before measuring.
  await load({ ...common, url: `${api.url}/v1/models`, requests: keys, seconds: 2 });
  await load({ ...common, url: `${api.url}/api/health/live`, seconds: 2 });
  /** A guarded route against the liveness route, in alternating pairs: the median ratio. */
  const againstLiveness = async (path: string) => {
    const runs = await alternate(
      settings.rounds,
      () => load({ ...common, url: `${api.url}/api/health/live` }),
      async () => {
        const guarded = await load({ ...common, url: `${api.url}${path}`, requests: keys });
        // Its last usage events and key activity are written within a flush interval: by the
        // guarded run's side, not during the liveness run that may follow.
        await new Promise((resolve) => setTimeout(resolve, FLUSHES_SETTLE_MS));
        return guarded;
      },
    );
    const throughput = pairedMedian(runs, (live, guarded) =>
      ratio(guarded.requestsPerSecond, live.requestsPerSecond),
    );
    return { throughput, live: combined(runs.a), guarded: combined(runs.b) };
  };
  const { throughput, live: health, guarded: models } = await againstLiveness('/v1/models');
  // The key check alone: the same guard, rate limit and usage event, with a body of a few bytes
  // like the liveness route's, which separates what the check costs from what the list costs.
  const { throughput: keyCheckAlone, guarded: whoami } = await againstLiveness('/v1/whoami');
  const readiness = await load({ ...common, url: `${api.url}/api/health` });
  // The floor on this machine: a bare node:http server's in-memory key check against its own
  // liveness route, measured the same way.
  const bare = await alternate(
    settings.rounds,
    () => load({ ...common, url: `${reference.url}/live` }),
    () =>
      load({
        ...common,
        url: `${reference.url}/checked`,
        headers: { authorization: `Bearer ${reference.key}` },
      }),
  );
  const bareRatio = pairedMedian(bare, (live, checked) =>
    ratio(checked.requestsPerSecond, live.requestsPerSecond),
  );
  return {
    id: 1,
    title: 'Key-check overhead (GET /v1/models vs GET /api/health/live)',
    figures: [
      { name: 'health req/s', value: round(health.requestsPerSecond, 0) },
      { name: '/v1/models req/s', value: round(models.requestsPerSecond, 0) },
      {
        name: `throughput ratio (median of ${settings.rounds} pairs)`,
        value: round(throughput),
      },
      {
        name: '/api/health (database + Redis ping) req/s',
        value: round(readiness.requestsPerSecond, 0),
      },
      {
        name: 'ratio against /api/health',
        value: round(ratio(models.requestsPerSecond, readiness.requestsPerSecond)),
      },
      {
        name: `key check alone: /v1/whoami ratio (${settings.rounds} pairs)`,
        value: round(keyCheckAlone),
      },
      { name: '/v1/whoami req/s', value: round(whoami.requestsPerSecond, 0) },
      { name: 'health p50/p99', value: `${health.p50}/${health.p99}`, unit: 'ms' },
      { name: '/v1/models p50/p99', value: `${models.p50}/${models.p99}`, unit: 'ms' },
      { name: 'non-2xx and errors', value: faultsOf(health, models, whoami) },
      {
        name: 'reference: bare node:http key check ratio',
        value: round(bareRatio),
      },
      {
        name: 'reference: bare node:http liveness req/s',
        value: round(combined(bare.a).requestsPerSecond, 0),
      },
    ],
    target: 'ratio >= 0.90',
    met:
      throughput >= 0.9 &&
      [health, models, whoami].every((run) => run.non2xx === 0 && run.errors === 0),
    note:
      'Judged against the liveness route, which does no I/O, so the ratio is the whole price of ' +
      'a guarded call; the readiness route pings the database and Redis on every call, and ' +
      "/v1/whoami is the same guarded call with a body as small as the liveness route's. The two " +
      'routes are measured in alternating runs, and the ratio is the median over the pairs. The ' +
      'reference figures are a bare node:http server (bench/reference-process.ts), not Keyward.',
  };
}
