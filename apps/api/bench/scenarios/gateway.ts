import { Client } from 'undici';
import type { ApiProcess } from '../../test/support/api-process.js';
import { fakeKey } from '../../test/support/fake-upstream.js';
import { withKey } from '../../test/support/keys.js';
import {
  alternate,
  benchUser,
  chatBody,
  combined,
  load,
  median,
  pairedMedian,
  redisScriptCalls,
  round,
  steadyLoad,
  type BenchSettings,
  type LoadResult,
  type Reference,
  type ScenarioResult,
  type Upstream,
} from '../harness.js';

interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A steady rate both paths sustain, so latency shows work added rather than queueing. */
const STEADY_RATE = 200;
const TTFB_SAMPLES = 200;

/**
 * 2. What the gateway adds: the same chat completion through Keyward and straight to the fake
 * upstream, at a steady rate over 50 connections, at full speed, and the time to the first byte
 * of a streamed answer.
 */
export async function gatewayOverhead(
  api: ApiProcess,
  upstream: Upstream,
  reference: Reference,
  settings: BenchSettings,
): Promise<ScenarioResult> {
  const user = await benchUser(api);
  const providerKey = fakeKey('openai', 'good');
  const direct: Target = {
    url: `${upstream.env.PROVIDER_OPENAI_BASE_URL ?? ''}/v1/chat/completions`,
    headers: { authorization: `Bearer ${providerKey}`, 'content-type': 'application/json' },
    body: chatBody.replace('openai/gpt-4o-mini', 'gpt-4o-mini'),
  };
  const through: Target = {
    url: `${api.url}/v1/chat/completions`,
    headers: { ...withKey(user.key), 'content-type': 'application/json' },
    body: chatBody,
  };
  // The floor on this machine: a bare node:http relay with no check (bench/reference-process.ts).
  const bareRelay: Target = { ...direct, url: `${reference.url}/v1/chat/completions` };
  const run = (target: Target, seconds = settings.seconds) =>
    load({ ...target, method: 'POST', connections: settings.connections, seconds });
  const steady = (target: Target) =>
    steadyLoad({
      ...target,
      method: 'POST',
      rate: STEADY_RATE,
      seconds: settings.pairSeconds,
      connections: settings.connections,
    });
  await run(through, 2);
  await run(direct, 2);
  const steadyRuns = await alternate(
    settings.rounds,
    () => steady(direct),
    () => steady(through),
  );
  const steadyDirect = combined(steadyRuns.a);
  const steadyThrough = combined(steadyRuns.b);
  const bareRuns = await alternate(
    settings.rounds,
    () => steady(direct),
    () => steady(bareRelay),
  );
  const fullDirect = await run(direct);
  const scriptsBefore = await redisScriptCalls(settings.redisUrl);
  const fullThrough = await run(through);
  const scriptsPerRequest =
    ((await redisScriptCalls(settings.redisUrl)) - scriptsBefore) / Math.max(1, fullThrough.total);

  // One sequence of streamed requests for the three, so both comparisons share the direct one.
  const ttfb = await medianTtfbs({
    direct: { ...direct, body: streamed(direct.body) },
    through: { ...through, body: streamed(through.body) },
    bare: { ...bareRelay, body: streamed(bareRelay.body) },
  });

  /** What `b` adds to `a` at a percentile, as the median over the pairs. */
  const added = (runs: { a: LoadResult[]; b: LoadResult[] }, field: 'p50' | 'p99'): number =>
    pairedMedian(runs, (a, b) => b[field] - a[field]);
  const failed = (runs: LoadResult[], ttfb: TtfbResult): number =>
    runs.reduce((n, r) => n + r.non2xx + r.errors, ttfb.failed);
  const addedP50 = added(steadyRuns, 'p50');
  const addedP99 = added(steadyRuns, 'p99');
  const addedTtfb = ttfb.through.median - ttfb.direct.median;
  const failures = failed([steadyThrough, fullThrough], ttfb.through);
  // A failing upstream would skew every comparison with it.
  const directFailures = failed([steadyDirect, fullDirect], ttfb.direct);
  // A refused or failed relay would look like a low floor.
  const referenceFailures = failed([...bareRuns.a, ...bareRuns.b], ttfb.bare);
  return {
    id: 2,
    title: `Gateway overhead (chat completion via Keyward vs direct, ${settings.connections} connections)`,
    figures: [
      {
        name: `${STEADY_RATE}/s p50 direct/via`,
        value: pair(steadyDirect, steadyThrough, 'p50'),
        unit: 'ms',
      },
      {
        name: `${STEADY_RATE}/s p99 direct/via`,
        value: pair(steadyDirect, steadyThrough, 'p99'),
        unit: 'ms',
      },
      {
        name: `added p50 (median of ${settings.rounds} pairs)`,
        value: round(addedP50),
        unit: 'ms',
      },
      {
        name: `added p99 (median of ${settings.rounds} pairs)`,
        value: round(addedP99),
        unit: 'ms',
      },
      {
        name: 'full speed req/s direct/via',
        value: `${round(fullDirect.requestsPerSecond, 0)}/${round(fullThrough.requestsPerSecond, 0)}`,
      },
      {
        // Redis work grows with this, whatever the number of replicas sharing it.
        name: 'Redis script calls per request at full speed',
        value: round(scriptsPerRequest, 3),
      },
      {
        name: 'full speed p50 direct/via',
        value: pair(fullDirect, fullThrough, 'p50'),
        unit: 'ms',
      },
      {
        name: 'stream TTFB median direct/via',
        value: `${round(ttfb.direct.median)}/${round(ttfb.through.median)}`,
        unit: 'ms',
      },
      { name: 'added TTFB', value: round(addedTtfb), unit: 'ms' },
      { name: 'failed via Keyward', value: failures },
      { name: 'failed direct', value: directFailures },
      {
        name: 'reference: bare node:http relay added p50/p99',
        value: `${round(added(bareRuns, 'p50'))}/${round(added(bareRuns, 'p99'))}`,
        unit: 'ms',
      },
      {
        name: 'reference: bare node:http relay added TTFB',
        value: round(ttfb.bare.median - ttfb.direct.median),
        unit: 'ms',
      },
      { name: 'reference: failed', value: referenceFailures },
    ],
    target: 'added p50 <= 1 ms, added p99 <= 3 ms, added TTFB <= 1 ms',
    met: addedP50 <= 1 && addedP99 <= 3 && addedTtfb <= 1 && failures === 0 && directFailures === 0,
    note:
      'Steady-rate latency isolates the work Keyward adds; at full speed the load generator, ' +
      'the API and the upstream share the machine cores, so queueing dominates those figures. ' +
      'Direct and via Keyward are measured in alternating runs (streams: alternating requests). ' +
      'The reference figures are a bare node:http relay with no check, not Keyward.',
  };
}

function pair(direct: LoadResult, via: LoadResult, field: 'p50' | 'p99'): string {
  return `${direct[field]}/${via[field]}`;
}

function streamed(body: string): string {
  return JSON.stringify({ ...(JSON.parse(body) as Record<string, unknown>), stream: true });
}

interface TtfbResult {
  median: number;
  /** Answers other than 200. */
  failed: number;
}

/**
 * Median time from sending a request to the first byte of its body, one request at a time over
 * one keep-alive connection per target (undici, the client the gateway itself uses upstream),
 * the targets taking turns request by request, in an order that rotates, so all see the same
 * background.
 */
async function medianTtfbs<Name extends string>(
  targets: Record<Name, Target>,
): Promise<Record<Name, TtfbResult>> {
  const measured = (Object.entries(targets) as [Name, Target][]).map(([name, target]) => {
    const url = new URL(target.url);
    return {
      name,
      target,
      url,
      client: new Client(url.origin),
      samples: [] as number[],
      failed: 0,
    };
  });
  try {
    for (let i = 0; i < TTFB_SAMPLES; i++) {
      const order = [
        ...measured.slice(i % measured.length),
        ...measured.slice(0, i % measured.length),
      ];
      for (const one of order) {
        const started = performance.now();
        const response = await one.client.request({
          path: one.url.pathname,
          method: 'POST',
          headers: one.target.headers,
          body: one.target.body,
        });
        let first = 0;
        for await (const chunk of response.body) {
          if (first === 0 && (chunk as Buffer).length > 0) first = performance.now() - started;
        }
        // A failed or empty answer has no first byte to time: counted as failed, not as 0 ms.
        if (response.statusCode !== 200 || first === 0) one.failed += 1;
        else one.samples.push(first);
      }
    }
  } finally {
    await Promise.all(measured.map(({ client }) => client.close()));
  }
  return Object.fromEntries(
    measured.map(({ name, samples, failed }) => [name, { median: median(samples), failed }]),
  ) as Record<Name, TtfbResult>;
}
