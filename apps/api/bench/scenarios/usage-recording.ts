import { startTcpProxy } from '../../test/support/tcp-proxy.js';
import { withKey } from '../../test/support/keys.js';
import type { ApiProcess } from '../../test/support/api-process.js';
import {
  alternate,
  combined,
  benchUser,
  faultsOf,
  FLUSHES_SETTLE_MS,
  cpuMeter,
  postgresPids,
  countRows,
  keysTakingTurns,
  load,
  pairedMedian,
  ratio,
  round,
  startReplica,
  queriesSent,
  type BenchSettings,
  type Deployment,
  type LoadResult,
  type ScenarioResult,
} from '../harness.js';

/** The durability runs: a steady rate, long enough to go on well past a 5 s outage. */
const DURABILITY_RATE = 1_000;
const DURABILITY_SECONDS = 10;
/** Into the run: the key is cached by then, and 3 s of requests follow the outage. */
const OUTAGE_STARTS_MS = 2_000;

interface CpuUse {
  /** Microseconds of CPU used by the API process. */
  api: number;
  /** Microseconds of CPU used by the PostgreSQL server. */
  database: number;
  requests: number;
}

const perRequest = (cpu: CpuUse, side: 'api' | 'database'): number =>
  round(cpu[side] / Math.max(1, cpu.requests), 1);
/** Key activity is written every 5 s by default; after this the warm-up's is out. */
const KEY_ACTIVITY_SETTLE_MS = 6_000;
const IDLE_SAMPLE_MS = 10_000;
const OUTAGE_MS = 5_000;

/**
 * 6. Usage recording: throughput of a guarded route with recording on and off, the database
 * statements per 1,000 guarded requests, and N requests giving N stored events, also when the
 * database goes away for 5 s mid-run (the connection is cut at a TCP relay, which is what the API
 * sees of a stopped server, without stopping the server other processes share).
 */
export async function usageRecording(
  deployment: Deployment,
  settings: BenchSettings,
): Promise<ScenarioResult> {
  // Both processes run side by side and are loaded in turn, so each pair of runs sees the same
  // background load (the database shares this machine's cores).
  const off = await startReplica(deployment, { USAGE_RECORDING: 'off' });
  const on = await startReplica(deployment, { USAGE_RECORDING: 'on' });
  let runs: { a: LoadResult[]; b: LoadResult[] };
  const cpuOff: CpuUse = { api: 0, database: 0, requests: 0 };
  const cpuOn: CpuUse = { api: 0, database: 0, requests: 0 };
  let statements: number;
  let background: number;
  try {
    const targetOf = async (api: ApiProcess) => ({
      url: `${api.url}/v1/models`,
      requests: await keysTakingTurns(api),
    });
    const offTarget = await targetOf(off);
    const onTarget = await targetOf(on);
    const common = { connections: settings.connections, seconds: settings.pairSeconds };
    // CPU per request of the API process and of the database server (every PostgreSQL process
    // on this machine) over each side's runs: what recording costs, and where.
    const measured =
      (api: ApiProcess, target: typeof offTarget, cpu: CpuUse) => async (): Promise<LoadResult> => {
        const apiMeter = cpuMeter([api.child.pid ?? 0]);
        const databaseMeter = cpuMeter(postgresPids());
        const result = await load({ ...target, ...common });
        // The run's last batches are written within a flush interval: counted on this side,
        // not the next run's.
        await new Promise((resolve) => setTimeout(resolve, FLUSHES_SETTLE_MS));
        cpu.api += apiMeter();
        cpu.database += databaseMeter();
        cpu.requests += result.total;
        return result;
      };
    await load({ ...offTarget, ...common, seconds: 2 });
    await load({ ...onTarget, ...common, seconds: 2 });
    // What the process sends with no request at all (the webhook outbox poll, scheduled jobs),
    // per second, once the warm-up's events and key activity are written.
    await new Promise((resolve) => setTimeout(resolve, KEY_ACTIVITY_SETTLE_MS));
    const idleFrom = await queriesSent(on);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
    const idlePerMs = ((await queriesSent(on)) - idleFrom) / IDLE_SAMPLE_MS;
    const before = await queriesSent(on);
    const startedAt = performance.now();
    runs = await alternate(
      settings.rounds,
      measured(off, offTarget, cpuOff),
      measured(on, onTarget, cpuOn),
    );
    // Give the last partial batch its interval to be written, so it is counted too.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    statements = (await queriesSent(on)) - before;
    background = idlePerMs * (performance.now() - startedAt);
  } finally {
    await Promise.all([off.stop(), on.stop()]);
  }
  const databaseLocal = postgresPids().length > 0;
  const throughput = pairedMedian(runs, (offRun, onRun) =>
    ratio(onRun.requestsPerSecond, offRun.requestsPerSecond),
  );
  const offResult = combined(runs.a);
  const onResult = combined(runs.b);
  const perThousand = (statements / onResult.total) * 1000;
  const causedPerThousand = (Math.max(0, statements - background) / onResult.total) * 1000;
  const non2xx = offResult.non2xx + onResult.non2xx;

  const counted = await durability(deployment, false);
  const countedThroughOutage = await durability(deployment, true);
  return {
    id: 6,
    title: 'Usage recording (GET /v1/models, recording on vs off)',
    figures: [
      {
        name: 'req/s off/on',
        value: `${round(offResult.requestsPerSecond, 0)}/${round(onResult.requestsPerSecond, 0)}`,
      },
      { name: `throughput ratio (median of ${settings.rounds} pairs)`, value: round(throughput) },
      {
        name: 'statements per 1,000 requests, background excluded',
        value: round(causedPerThousand),
      },
      { name: 'statements per 1,000 requests, all', value: round(perThousand) },
      {
        name: 'API CPU per request off/on',
        value: `${perRequest(cpuOff, 'api')}/${perRequest(cpuOn, 'api')}`,
        unit: 'µs',
      },
      {
        name: 'database CPU per request off/on',
        // Only a server on this machine can be read from /proc.
        value: databaseLocal
          ? `${perRequest(cpuOff, 'database')}/${perRequest(cpuOn, 'database')}`
          : 'n/a',
        unit: 'µs',
      },
      { name: 'non-2xx', value: `${non2xx} (${faultsOf(offResult, onResult)})` },
      { name: 'stored / sent', value: `${counted.stored}/${counted.sent}` },
      {
        name: `stored / sent, ${OUTAGE_MS / 1000} s outage`,
        value: `${countedThroughOutage.stored}/${countedThroughOutage.sent}`,
      },
      { name: 'answered during the outage', value: countedThroughOutage.duringOutage },
      {
        name: 'not answered 200 (errors, refusals)',
        value: `${counted.total - counted.sent}/${countedThroughOutage.total - countedThroughOutage.sent}`,
      },
    ],
    target: 'ratio >= 0.97, <= 1 statement per 1,000, N of N stored with and without an outage',
    met:
      throughput >= 0.97 &&
      perThousand <= 1 &&
      non2xx === 0 &&
      // Every request of the plain run answered and stored; through the outage, requests went
      // on being answered (from the key cache) and every answered one was stored.
      counted.sent > 0 &&
      counted.sent === counted.total &&
      counted.stored === counted.sent &&
      countedThroughOutage.duringOutage > 0 &&
      countedThroughOutage.stored === countedThroughOutage.sent,
    note:
      'Statements are every query the API process sent during the run (its own count), judged ' +
      'whole; "background excluded" takes off, for information, what the same process sent ' +
      'per second over 10 s idle (the webhook outbox poll, scheduled jobs). The processes with ' +
      'recording on and off run side by side and are loaded in alternating runs. CPU per ' +
      "request is read from /proc over each side's runs; the database figure is every " +
      'PostgreSQL process on the machine, so it shows what writing the events costs the ' +
      "server when it shares the API's cores.",
  };

  async function durability(deployment: Deployment, outage: boolean) {
    const database = new URL(deployment.databaseUrl);
    const proxy = await startTcpProxy(database.hostname, Number(database.port || 5432));
    const viaProxy = new URL(database.href);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const api = await startReplica({ ...deployment, databaseUrl: viaProxy.href });
    try {
      const user = await benchUser(api);
      const run = load({
        url: `${api.url}/v1/whoami`,
        headers: withKey(user.key),
        connections: settings.connections,
        overallRate: DURABILITY_RATE,
        // A count rather than a duration: a timed run ends with requests in flight, whose
        // callers hang up, and those are recorded too (as 499).
        amount: DURABILITY_RATE * DURABILITY_SECONDS,
      });
      if (outage) {
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_STARTS_MS));
        proxy.interrupt();
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
        proxy.resume();
      }
      const result = await run;
      // The whole seconds the database was away (seconds 3 to 7 of the run).
      const outageSeconds = result.perSecond.slice(
        Math.ceil(OUTAGE_STARTS_MS / 1000),
        Math.floor((OUTAGE_STARTS_MS + OUTAGE_MS) / 1000),
      );
      // Only answers from a verified key are guarded requests (a key check that needed the
      // database during the outage is refused with 503 and is not usage).
      const sent = result.statuses['200'] ?? 0;
      // Events are written in the background; wait for the buffer to drain (backoff included).
      const deadline = Date.now() + 60_000;
      let stored = 0;
      while (Date.now() < deadline) {
        stored = await countRows(
          deployment.databaseUrl,
          'SELECT count(*) AS n FROM usage_events WHERE key_id = $1',
          [user.keyId],
        );
        if (stored >= sent) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return {
        sent,
        stored,
        total: result.total + result.errors,
        duringOutage: outage ? outageSeconds.reduce((sum, count) => sum + count, 0) : 0,
      };
    } finally {
      await api.stop();
      await proxy.stop();
    }
  }
}
