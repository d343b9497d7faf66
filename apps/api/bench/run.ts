// `pnpm bench`: starts what it needs (the API on real PostgreSQL with Redis, a second replica,
// the fake upstream), drives load over loopback, prints a table of every figure with its target,
// and writes the same as JSON to bench-results/latest.json.
//   --quick        short runs, to check the benchmark itself works (figures are not meaningful)
//   --only=1,4     run some scenarios only
//   --profile      every API process writes a V8 CPU profile to bench-results/profiles/ on exit
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiProcess } from '../test/support/api-process.js';
import {
  freshDatabase,
  startReferenceProcess,
  startReplica,
  startUpstreamProcess,
  type BenchSettings,
  type Deployment,
  type ScenarioResult,
} from './harness.js';
import { gatewayOverhead } from './scenarios/gateway.js';
import { invalidKeyFlood } from './scenarios/invalid-keys.js';
import { keyCheckOverhead } from './scenarios/key-check.js';
import { memoryUnderLoad } from './scenarios/memory.js';
import { rateLimitAccuracy } from './scenarios/rate-limit.js';
import { revocationPropagation } from './scenarios/revocation.js';
import { usageRecording } from './scenarios/usage-recording.js';

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = join(here, '../../../bench-results');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
  .map(Number);
const wanted = (id: number): boolean => !only || only.includes(id);
if (args.includes('--profile')) {
  // Profiles of the API under the benchmark's load; open them in Chrome's DevTools.
  process.env.NODE_OPTIONS_FOR_API = `--cpu-prof --cpu-prof-dir=${join(RESULTS_DIR, 'profiles')}`;
}

const settings: BenchSettings = {
  seconds: quick ? 2 : 10,
  rounds: quick ? 2 : 6,
  pairSeconds: quick ? 1 : 3,
  sustainSeconds: quick ? 10 : 60,
  memorySeconds: quick ? 10 : 120,
  connections: 50,
  databaseAdminUrl: process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

const results: ScenarioResult[] = [];
const database = await freshDatabase(settings.databaseAdminUrl);
const upstream = await startUpstreamProcess();
const deployment: Deployment = {
  databaseUrl: database.url,
  redisUrl: settings.redisUrl,
  redisPrefix: `bench${randomBytes(4).toString('hex')}:`,
  upstream,
};
// The bare node:http server of the reference figures in scenarios 1 and 2.
const reference = await startReferenceProcess(
  `reference-${randomBytes(16).toString('hex')}`,
  `${upstream.env.PROVIDER_OPENAI_BASE_URL ?? ''}/v1/chat/completions`,
);
const started: ApiProcess[] = [];
const replica = async (env: Record<string, string> = {}): Promise<ApiProcess> => {
  const api = await startReplica(deployment, env);
  started.push(api);
  return api;
};

try {
  const a = await replica();
  const step = async (id: number, scenario: () => Promise<ScenarioResult>): Promise<void> => {
    if (!wanted(id)) return;
    process.stdout.write(`Running ${id}...\n`);
    const result = await scenario();
    results.push(result);
    print([result]);
  };
  await step(1, () => keyCheckOverhead(a, reference, settings));
  await step(2, () => gatewayOverhead(a, upstream, reference, settings));
  await step(3, async () => {
    // The per-IP limit on refused keys would answer most of the flood with 429 before the
    // check; raised here so every request takes the full refusal path.
    const open = await replica({ INVALID_KEY_MAX_PER_IP_PER_MINUTE: '1000000' });
    return invalidKeyFlood(open, settings);
  });
  if (wanted(4) || wanted(5)) {
    const b = await replica();
    await step(4, () => rateLimitAccuracy([a, b], settings));
    await step(5, () => revocationPropagation([a, b]));
  }
  await step(6, () => usageRecording(deployment, settings));
  await step(7, () => memoryUnderLoad(deployment, settings));
} finally {
  await Promise.all(started.map((api) => api.stop()));
  await reference.stop();
  await upstream.stop();
  await database.drop();
}

const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
process.stdout.write(`\nKeyward benchmark, ${new Date().toISOString()}\n`);
process.stdout.write(
  `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}${quick ? ', QUICK RUN' : ''}\n\n`,
);
print(results);
const report = {
  date: new Date().toISOString(),
  quick,
  machine,
  settings: { ...settings, databaseAdminUrl: undefined },
  results,
};
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(
  join(RESULTS_DIR, quick ? 'quick.json' : 'latest.json'),
  `${JSON.stringify(report, null, 2)}\n`,
);
const missed = results.filter((r) => r.met === false).map((r) => r.id);
process.stdout.write(
  missed.length === 0 ? '\nEvery target met.\n' : `\nTargets missed: ${missed.join(', ')}\n`,
);

function print(batch: ScenarioResult[]): void {
  for (const result of batch) {
    const mark = result.met === null ? '' : result.met ? 'MET' : 'MISSED';
    process.stdout.write(`\n${result.id}. ${result.title}  [${mark}] target: ${result.target}\n`);
    for (const figure of result.figures) {
      process.stdout.write(
        `   ${figure.name.padEnd(44)} ${String(figure.value)}${figure.unit ? ` ${figure.unit}` : ''}\n`,
      );
    }
    if (result.note) process.stdout.write(`   (${result.note})\n`);
  }
}
