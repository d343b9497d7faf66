import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const API_ENTRY = resolve(here, '../../dist/main.js');
export const TEST_ENCRYPTION_KEYS = `v1:${Buffer.alloc(32, 1).toString('base64')}`;

export interface ApiProcess {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then wait for exit. Returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  child: ChildProcess;
}

export interface StartApiOptions {
  env?: Record<string, string | undefined>;
  /** Reuse a data directory (for restart tests); a fresh temporary one otherwise. */
  dataDir?: string;
  port?: number;
  /** Remove the temporary data dir on stop (default true when it was created here). */
  cleanup?: boolean;
  startTimeoutMs?: number;
  /** Node flags for this process, after any in NODE_OPTIONS_FOR_API. */
  nodeFlags?: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolvePort(port);
      });
    });
  });
}

/** Levels at which the API logs its "Keyward is listening" line. */
const ANNOUNCING_LEVELS = new Set(['trace', 'debug', 'info']);

/**
 * Starts the built API (`apps/api/dist/main.js`) as a real child process and waits until
 * `/api/health` answers. The database is the one the test run chose (TEST_DATABASE_URL for
 * PostgreSQL, or the embedded PGlite in the data directory).
 *
 * A port found free can be taken by another test worker's process before this one binds it.
 * That process would then answer the health check in this one's place, so readiness also waits
 * for this process to announce it is listening, and a process that lost its port is started
 * again on another (unless the caller chose the port).
 */
export async function startApi(options: StartApiOptions = {}): Promise<ApiProcess> {
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchApi(options, options.port ?? (await freePort()));
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= attempts) throw error;
    }
  }
}

class PortTaken extends Error {}

async function launchApi(options: StartApiOptions, port: number): Promise<ApiProcess> {
  const createdDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'keyward-test-'));
  const env: Record<string, string> = {};
  const inherited = ['PATH', 'HOME', 'NODE_OPTIONS_FOR_API', 'TZ'];
  for (const name of inherited) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ADMIN_EMAIL: 'admin@keyward.test',
    ADMIN_PASSWORD: 'admin-password-for-tests',
    // Counters of separate test processes must not meet in the shared Redis; replicas under test
    // pass one prefix explicitly.
    REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}:`,
    // Every process of a run shares one master key, as replicas of one deployment do.
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    // Off unless a test turns it on: in a shared test database, every process's job would
    // otherwise check every other test's credentials against its own fake upstream.
    PROVIDER_REVERIFY_INTERVAL_MINUTES: '0',
    // Likewise for the scheduled alert rules and the webhook dispatcher: a test that needs them
    // turns them on, so no process delivers or alerts for another test's users.
    ALERT_CHECK_INTERVAL_SECONDS: '0',
    WEBHOOK_POLL_MS: '0',
    // Test receivers listen on 127.0.0.1; the refusal of private addresses is tested by starting
    // an API with this set to false.
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    // Likewise fake providers listen on 127.0.0.1; test/security/ssrf.e2e-spec.ts starts APIs
    // without this to prove the refusals.
    PROVIDER_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
  });
  if (process.env.TEST_DATABASE_URL) env.DATABASE_URL = process.env.TEST_DATABASE_URL;
  if (process.env.TEST_REDIS_URL) env.REDIS_URL = process.env.TEST_REDIS_URL;
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value !== undefined) env[name] = value;
  }
  // An override of `undefined` means: leave this variable unset.
  const unset = new Set(
    Object.entries(options.env ?? {}).flatMap(([name, value]) =>
      value === undefined ? [name] : [],
    ),
  );
  const childEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !unset.has(name)));

  // Node flags for the API alone, e.g. NODE_OPTIONS_FOR_API=--cpu-prof to profile it under the
  // benchmark (NODE_OPTIONS itself would also reach the test runner).
  const nodeFlags = [
    ...(process.env.NODE_OPTIONS_FOR_API ?? '').split(/\s+/).filter(Boolean),
    ...(options.nodeFlags ?? []),
  ];
  const child = spawn(process.execPath, [...nodeFlags, API_ENTRY], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolveExit) =>
    child.on('exit', (code) => {
      resolveExit(code);
    }),
  );

  const url = `http://127.0.0.1:${port}`;
  // Generous: the embedded database migrates on start, slowly on a busy machine.
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  const announces = ANNOUNCING_LEVELS.has(childEnv.LOG_LEVEL ?? 'info');
  let ready = false;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(`${url}/api/health`);
      const answered = response.status === 200 || response.status === 503;
      if (answered && (!announces || output.includes('Keyward is listening'))) {
        ready = true;
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!ready) {
    child.kill('SIGKILL');
    await exited;
    if (createdDataDir && options.cleanup !== false) {
      rmSync(dataDir, { recursive: true, force: true });
    }
    if (output.includes('EADDRINUSE')) throw new PortTaken(`port ${port} was taken`);
    throw new Error(`API did not start on ${url}:\n${output}`);
  }

  return {
    url,
    port,
    dataDir,
    env: childEnv,
    child,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      if (createdDataDir && options.cleanup !== false) {
        rmSync(dataDir, { recursive: true, force: true });
      }
      return code;
    },
  };
}
