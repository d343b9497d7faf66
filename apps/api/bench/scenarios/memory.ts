import { createKey, withKey } from '../../test/support/keys.js';
import {
  benchUser,
  chatBody,
  load,
  residentMiB,
  round,
  startReplica,
  type BenchSettings,
  type Deployment,
  type ScenarioResult,
} from '../harness.js';
import { INSPECT_FLAG, liveMemory, type LiveMemory } from '../inspector.js';

const KEYS = 200;
const WARM_UP_SECONDS = 20;
/** The long run is measured in this many parts, to show a trend rather than two points. */
const PARTS = 4;

/**
 * 7. Memory of an API process of its own, at start, after warming up and through a long run at
 * full load, over many keys and the chat route, so every cache and buffer fills towards its
 * bound. Judged on the live heap after a full garbage collection; resident memory is reported
 * beside it.
 */
export async function memoryUnderLoad(
  deployment: Deployment,
  settings: BenchSettings,
): Promise<ScenarioResult> {
  const api = await startReplica(deployment, {}, [INSPECT_FLAG]);
  try {
    const pid = api.child.pid ?? 0;
    const atStart = await liveMemory(api);
    const rssAtStart = residentMiB(pid);
    const owner = await benchUser(api);
    // As the bench user's own key: a key's default limit would answer most of the run with 429.
    const rateLimit = { limit: 10_000, windowSeconds: 1 };
    const keys = [owner.key];
    for (let i = 1; i < KEYS; i++) {
      keys.push(
        (await createKey(api.url, owner.accessToken, { name: `memory ${i}`, rateLimit })).key,
      );
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
    await run(Math.min(WARM_UP_SECONDS, settings.memorySeconds));
    const warmed = await liveMemory(api);
    const rssWarmed = residentMiB(pid);
    const parts: LiveMemory[] = [];
    let requestsSent = 0;
    let errors = 0;
    for (let part = 0; part < PARTS; part++) {
      const result = await run(settings.memorySeconds / PARTS);
      requestsSent += result.total;
      errors += result.errors + result.non2xx;
      parts.push(await liveMemory(api));
    }
    const rssAfter = residentMiB(pid);
    const after = parts.at(-1) ?? warmed;
    const live = (memory: LiveMemory) => memory.heapUsedMiB + memory.externalMiB;
    const growth = (live(after) - live(warmed)) / live(warmed);
    const rssGrowth = (rssAfter - rssWarmed) / rssWarmed;
    const mib = (memory: LiveMemory) => round(live(memory), 1);
    return {
      id: 7,
      title: `Memory (${KEYS} keys, ${settings.memorySeconds} s at full load)`,
      figures: [
        { name: 'live (heap + external after GC) at start', value: mib(atStart), unit: 'MiB' },
        { name: 'live, warmed up', value: mib(warmed), unit: 'MiB' },
        {
          name: `live after each ${round(settings.memorySeconds / PARTS, 0)} s`,
          value: parts.map(mib).join(' / '),
          unit: 'MiB',
        },
        { name: 'live growth after warm-up', value: `${round(growth * 100, 1)}%` },
        {
          name: 'RSS at start / warmed / after',
          value: `${round(rssAtStart, 0)} / ${round(rssWarmed, 0)} / ${round(rssAfter, 0)}`,
          unit: 'MiB',
        },
        { name: 'RSS growth after warm-up', value: `${round(rssGrowth * 100, 1)}%` },
        { name: 'requests', value: requestsSent },
        { name: 'errors and non-2xx', value: errors },
      ],
      target: 'live memory growth after warm-up <= 10% (caches and buffers are bounded)',
      met: growth <= 0.1 && errors === 0,
      note:
        'Live memory is the heap in use plus memory outside it held by live objects, read ' +
        'through the V8 inspector right after a full garbage collection, so it counts what the ' +
        'process keeps rather than garbage not yet collected. Resident memory follows how V8 ' +
        'sizes its heap and is reported for information.',
    };
  } finally {
    await api.stop();
  }
}
