// What every benchmark scenario needs: a fresh database, API replicas, the fake upstream in a
// process of its own, a load generator, and the counters the figures are read from.
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Pool } from 'undici';
import { startApi, type ApiProcess } from '../test/support/api-process.js';
import { fakeKey } from '../test/support/fake-upstream.js';
import { call, signIn, signUp, type SignedIn } from '../test/support/http.js';
import { createKey, withKey } from '../test/support/keys.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface BenchSettings {
  /** Seconds of each measured load run. */
  seconds: number;
  /** Pairs of runs where two targets are compared in turn (see `alternate`). */
  rounds: number;
  /** Seconds of each run within such a pair. */
  pairSeconds: number;
  /** Seconds the single busy key is driven (rate-limit stability). */
  sustainSeconds: number;
  /** Seconds of the memory run. */
  memorySeconds: number;
  connections: number;
  databaseAdminUrl: string;
  redisUrl: string;
}

export interface Figure {
  name: string;
  value: number | string;
  unit?: string;
}

export interface ScenarioResult {
  id: number;
  title: string;
  figures: Figure[];
  target: string;
  /** Whether the target was met; null where the figure is reported without a pass mark. */
  met: boolean | null;
  note?: string;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  /** Requests completed in each second of the run. */
  perSecond: number[];
}

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  seconds?: number;
  /** Fixed total request rate instead of as fast as possible. */
  overallRate?: number;
  /** Stop after this many requests (instead of a duration). */
  amount?: number;
  /** Several request shapes sent in turn on each connection. */
  requests?: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }[];
}

/** Drives load with autocannon over loopback and keeps the figures the report needs. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const perSecond: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: options.method ?? 'GET',
        headers: options.headers,
        body: options.body,
        connections: options.connections ?? 50,
        ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 10 }),
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
        ...(options.requests ? { requests: options.requests } : {}),
      },
      (error: Error | null, finished: autocannon.Result) => {
        if (error) reject(error);
        else resolve(finished);
      },
    );
    let answered = 0;
    instance.on('response', () => {
      answered += 1;
    });
    // autocannon ticks once a second; the answers since the last tick make that second's figure.
    instance.on('tick', () => {
      perSecond.push(answered);
      answered = 0;
    });
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    // Timeouts are among the errors already.
    errors: result.errors,
    statuses: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([status, stat]) => [
        status,
        stat.count ?? 0,
      ]),
    ),
    // autocannon ticks once more as it stops, with almost nothing counted since the last tick:
    // a timed run keeps its whole seconds only.
    perSecond: options.amount ? perSecond : perSecond.slice(0, options.seconds ?? 10),
  };
}

export interface SteadyOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Requests per second, sent on a fixed schedule whatever the answers' pace. */
  rate: number;
  seconds: number;
  connections: number;
}

/**
 * Latency at a fixed request rate, timed per request with a microsecond clock (autocannon's
 * histogram counts whole milliseconds, too coarse for a 1 ms budget). Requests go out on
 * schedule over a pool of keep-alive connections, so the figure is what a caller waits, not how
 * long a queue in the load generator is.
 */
export async function steadyLoad(options: SteadyOptions): Promise<LoadResult> {
  const origin = new URL(options.url);
  const pool = new Pool(origin.origin, { connections: options.connections, pipelining: 1 });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const statuses: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  const total = Math.round(options.rate * options.seconds);
  const started = performance.now();
  try {
    for (let sent = 0; sent < total; sent++) {
      const due = started + (sent * 1000) / options.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const begun = performance.now();
      const one = pool
        .request({
          path: origin.pathname + origin.search,
          method: options.method ?? 'GET',
          headers: options.headers,
          body: options.body,
        })
        .then(async (response) => {
          await response.body.dump();
          latencies.push(performance.now() - begun);
          statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
          if (response.statusCode < 200 || response.statusCode > 299) non2xx += 1;
        })
        .catch(() => {
          errors += 1;
        })
        .finally(() => inFlight.delete(one));
      inFlight.add(one);
    }
    await Promise.all(inFlight);
  } finally {
    await pool.close();
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    round(latencies[Math.floor(q * (latencies.length - 1))] ?? 0, 3);
  return {
    requestsPerSecond: (latencies.length * 1000) / (performance.now() - started),
    p50: at(0.5),
    p99: at(0.99),
    total: latencies.length,
    non2xx,
    errors,
    statuses,
    perSecond: [],
  };
}

/** A database of its own for one benchmark run, dropped at the end. */
export async function freshDatabase(
  adminUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `keyward_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export async function countRows(
  databaseUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = await client.query<{ n: string }>(sql, params);
    return Number(rows.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user and system) process `pid` has used so far, in ticks; undefined once gone. */
function cpuTicksOf(pid: number): number | undefined {
  try {
    // Fields after the command name, which may hold spaces and parentheses: utime and stime
    // are the 12th and 13th after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  } catch {
    return undefined;
  }
}

/**
 * Starts measuring the CPU time of the processes `pids`; the returned function gives the
 * microseconds they have used since, counting those still running at both ends.
 */
export function cpuMeter(pids: number[]): () => number {
  const from = new Map(pids.map((pid) => [pid, cpuTicksOf(pid)]));
  return () => {
    let ticks = 0;
    for (const [pid, start] of from) {
      const now = cpuTicksOf(pid);
      if (start !== undefined && now !== undefined) ticks += now - start;
    }
    return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  };
}

/** Every PostgreSQL server process on this machine (backends and background workers). */
export function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Resident memory of a process, in MiB, from /proc. */
export function residentMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

export interface Upstream {
  url: string;
  env: Record<string, string>;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The fake providers in a process of their own, so the load generator and the upstream do not
 * share one event loop (they would in-process, and every figure would carry that noise).
 */
export async function startUpstreamProcess(): Promise<Upstream> {
  const started = await startBenchProcess('upstream-process.ts');
  const ready = started.ready as { url: string; env: Record<string, string> };
  return { ...ready, pid: started.pid, stop: started.stop };
}

export interface Reference {
  url: string;
  /** The one key its in-memory check knows. */
  key: string;
  stop(): Promise<void>;
}

/**
 * The bare node:http server of reference-process.ts: the floor any Node server has on this
 * machine. `key` is the one key its in-memory check knows; chat goes to `upstreamChatUrl`.
 */
export async function startReferenceProcess(
  key: string,
  upstreamChatUrl: string,
): Promise<Reference> {
  const started = await startBenchProcess('reference-process.ts', {
    REFERENCE_KEY: key,
    REFERENCE_UPSTREAM_CHAT_URL: upstreamChatUrl,
  });
  return { url: (started.ready as { url: string }).url, key, stop: started.stop };
}

interface BenchProcess {
  /** What the process printed after `READY `, parsed. */
  ready: unknown;
  pid: number;
  stop: () => Promise<void>;
}

/** Runs a bench/ script as a child process until it prints `READY {json}`. */
async function startBenchProcess(
  script: string,
  env: Record<string, string> = {},
): Promise<BenchProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(here, script)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const ready = await new Promise<unknown>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find((l) => l.startsWith('READY '));
      if (line) resolve(JSON.parse(line.slice(6)));
    });
    child.once('exit', (code) => {
      reject(new Error(`${script} exited with ${String(code)}`));
    });
  });
  return {
    ready,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => {
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export interface Deployment {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  upstream: Upstream;
}

/** An API process of the benchmark deployment; replicas share the Redis prefix. */
export async function startReplica(
  deployment: Deployment,
  env: Record<string, string | undefined> = {},
  nodeFlags: string[] = [],
): Promise<ApiProcess> {
  return startApi({
    env: {
      DATABASE_URL: deployment.databaseUrl,
      REDIS_URL: deployment.redisUrl,
      // Replicas of one run share their counters; separate runs never meet.
      REDIS_KEY_PREFIX: deployment.redisPrefix,
      LOG_LEVEL: 'warn',
      METRICS_TOKEN: BENCH_METRICS_TOKEN,
      // The benchmark signs many users in from one address; the per-IP login guard is not measured.
      LOGIN_MAX_PER_IP_PER_MINUTE: '10000',
      ...deployment.upstream.env,
      ...env,
    },
    startTimeoutMs: 60_000,
    nodeFlags,
  });
}

const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789';

/**
 * Lua scripts Redis has run so far, for every client: each per-request step Keyward takes in
 * Redis (a rate-limit grant, a quota count) is one script call.
 */
export async function redisScriptCalls(redisUrl: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const stats = await redis.info('commandstats');
    let calls = 0;
    for (const match of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) {
      calls += Number(match[1]);
    }
    return calls;
  } finally {
    redis.disconnect();
  }
}

/** Statements an API process has sent to the database so far, from its own metrics. */
export async function queriesSent(api: ApiProcess): Promise<number> {
  const response = await fetch(`${api.url}/metrics`, {
    headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` },
  });
  const text = await response.text();
  const value = /^keyward_database_queries_total (\d+)/m.exec(text)?.[1];
  if (value === undefined) throw new Error(`no query count in the metrics: ${response.status}`);
  return Number(value);
}

const adminSessions = new Map<string, Promise<SignedIn>>();

/** One admin sign-in per API process and run (sign-ins are rate limited per account). */
function adminOf(api: ApiProcess): Promise<SignedIn> {
  let session = adminSessions.get(api.url);
  if (!session) {
    session = signIn(api.url, 'admin@keyward.test', 'admin-password-for-tests');
    adminSessions.set(api.url, session);
  }
  return session;
}

export interface BenchUser {
  accessToken: string;
  key: string;
  keyId: string;
}

/** A user with an OpenAI credential at the fake upstream and a key, as a real deployment has. */
export async function benchUser(
  api: ApiProcess,
  keyBody: Record<string, unknown> = {},
): Promise<BenchUser> {
  const user = await signUp(api.url, 'bench');
  // Unlimited, so the free plan's monthly limits do not end a run early.
  const admin = await adminOf(api);
  const moved = await call(api.url, 'PATCH', `/api/admin/users/${user.userId}`, {
    token: admin.accessToken,
    body: { planId: 'enterprise' },
  });
  if (moved.status !== 200) throw new Error(`moving to the enterprise plan failed: ${moved.text}`);
  const credential = await call(api.url, 'POST', '/api/provider-keys', {
    token: user.accessToken,
    body: { provider: 'openai', name: 'bench', apiKey: fakeKey('openai', 'good'), verify: true },
  });
  if (credential.status !== 201) throw new Error(`adding a credential failed: ${credential.text}`);
  const key = await createKey(api.url, user.accessToken, {
    name: 'bench',
    rateLimit: { limit: 10_000, windowSeconds: 1 },
    ...keyBody,
  });
  return { accessToken: user.accessToken, key: key.key, keyId: key.id };
}

/**
 * Request shapes for `load({ requests })` that take turns among `count` keys of their own: one
 * key's limit (at most 10,000 a second) would answer part of a fast run with cheaper 429s. Two
 * were too few on a quiet day here (17,776 requests a second, 1,152 answered 429); six leave
 * room to 60,000.
 */
export async function keysTakingTurns(
  api: ApiProcess,
  count = 6,
): Promise<{ headers: Record<string, string> }[]> {
  const shapes: { headers: Record<string, string> }[] = [];
  for (let i = 0; i < count; i++) shapes.push({ headers: withKey((await benchUser(api)).key) });
  return shapes;
}

/** Past the usage recorder's flush interval (1 s by default): a run's last batches are out. */
export const FLUSHES_SETTLE_MS = 1_200;

export const chatBody = JSON.stringify({
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say something short about keys.' }],
  max_tokens: 16,
});

export const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/**
 * Runs two measurements in turn, `rounds` pairs of them, in the order A B, B A, A B, ... On a
 * shared machine the background load drifts during a run; the two halves of a pair, taken
 * seconds apart, see nearly the same background, and the alternating order cancels a steady
 * drift. Compare pair by pair (see `pairedMedian`), not the first run of A against the last of B.
 */
export async function alternate<T>(
  rounds: number,
  a: () => Promise<T>,
  b: () => Promise<T>,
): Promise<{ a: T[]; b: T[] }> {
  const results = { a: [] as T[], b: [] as T[] };
  for (let pair = 0; pair < rounds; pair++) {
    if (pair % 2 === 0) {
      results.a.push(await a());
      results.b.push(await b());
    } else {
      results.b.push(await b());
      results.a.push(await a());
    }
  }
  return results;
}

/** The median over pairs of `compare(a[i], b[i])`. */
export function pairedMedian<T>(
  pairs: { a: T[]; b: T[] },
  compare: (a: T, b: T) => number,
): number {
  return median(pairs.a.map((a, i) => compare(a, pairs.b[i] as T)));
}

/** Sums load results of several runs of the same target into one. */
export function combined(runs: LoadResult[]): LoadResult {
  const total = runs.reduce((sum, run) => sum + run.total, 0);
  return {
    requestsPerSecond: runs.reduce((sum, run) => sum + run.requestsPerSecond, 0) / runs.length,
    p50: round(median(runs.map((run) => run.p50)), 3),
    p99: round(median(runs.map((run) => run.p99)), 3),
    total,
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    statuses: runs.reduce<Record<string, number>>((sum, run) => {
      for (const [status, count] of Object.entries(run.statuses)) {
        sum[status] = (sum[status] ?? 0) + count;
      }
      return sum;
    }, {}),
    perSecond: runs.flatMap((run) => run.perSecond),
  };
}

/** Answers other than 2xx, by status, and connection errors (as "errors"), over runs. */
export function faultCounts(...runs: LoadResult[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const run of runs) {
    for (const [status, count] of Object.entries(run.statuses)) {
      if (status.startsWith('2') || count === 0) continue;
      counts.set(status, (counts.get(status) ?? 0) + count);
    }
    if (run.errors > 0) counts.set('errors', (counts.get('errors') ?? 0) + run.errors);
  }
  return counts;
}

/** `faultCounts` for a report, e.g. "429: 3, errors: 1" ("none"). */
export function faultsOf(...runs: LoadResult[]): string {
  const counts = faultCounts(...runs);
  return counts.size === 0 ? 'none' : [...counts].map(([what, n]) => `${what}: ${n}`).join(', ');
}
