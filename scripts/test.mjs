// `pnpm test`: every test of the project, in one command.
//   1. builds what the tests start (shared lib, API, console);
//   2. API unit specs;
//   3. API HTTP tests against real PostgreSQL (a fresh database per run) with Redis;
//   4. the same HTTP tests against the embedded PGlite, without Redis;
//   5. console component tests (forms, dialogs, filters) in jsdom;
//   6. console end-to-end tests in headless Chromium against the real API.
// Outside CI, a missing PostgreSQL, Redis or Chromium skips that part with a message; with
// CI=true each is required. The last line sums up every run.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, buildWhatIsMissing, reachable, run } from './lib.mjs';

const CI = process.env.CI === 'true' || process.env.CI === '1';
const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = join(ROOT, 'test-output', 'results');

const runs = [];
const skipped = [];

async function jest(label, cwd, args, env = {}) {
  const outputFile = join(OUTPUT, `${label}.json`);
  process.stdout.write(`\n=== ${label} ===\n`);
  const code = await run(
    'pnpm',
    ['exec', 'jest', ...args, '--json', `--outputFile=${outputFile}`],
    {
      cwd: join(ROOT, cwd),
      env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules', ...env },
    },
  );
  let passed = 0;
  let failed = 0;
  if (existsSync(outputFile)) {
    const result = JSON.parse(readFileSync(outputFile, 'utf8'));
    passed = result.numPassedTests;
    failed = result.numFailedTests + (result.numRuntimeErrorTestSuites ?? 0);
  }
  if (code !== 0 && failed === 0) failed = 1; // the runner itself failed
  runs.push({ label, passed, failed });
}

function need(what, available, why) {
  if (available) return true;
  if (CI) {
    process.stderr.write(`${what} is required in CI but not available: ${why}\n`);
    process.exit(1);
  }
  skipped.push(`${what} (${why})`);
  return false;
}

rmSync(OUTPUT, { recursive: true, force: true });
mkdirSync(OUTPUT, { recursive: true });
await buildWhatIsMissing();

const postgresUp = await reachable(PG_ADMIN_URL);
const redisUp = await reachable(REDIS_URL);
const chromiumThere = existsSync(CHROMIUM);

await jest('api-unit', 'apps/api', ['--selectProjects', 'unit']);
if (need('PostgreSQL', postgresUp, `nothing listens at ${new URL(PG_ADMIN_URL).host}`)) {
  need('Redis', redisUp, `nothing listens at ${new URL(REDIS_URL).host}`);
  await jest('api-http-postgres', 'apps/api', ['--selectProjects', 'http'], {
    TEST_DB: 'postgres',
    TEST_PG_ADMIN_URL: PG_ADMIN_URL,
    ...(redisUp ? { TEST_REDIS_URL: REDIS_URL } : {}),
  });
}
await jest('api-http-pglite', 'apps/api', ['--selectProjects', 'http'], {
  TEST_DB: 'pglite',
  TEST_REDIS_URL: '',
});
await jest('web-components', 'apps/web', ['-c', 'jest.component.config.js']);
if (need('Chromium', chromiumThere, `${CHROMIUM} not found; apt-get install chromium`)) {
  await jest('web-e2e', 'apps/web', ['-c', 'jest.e2e.config.js'], { CHROMIUM_PATH: CHROMIUM });
}

const passed = runs.reduce((sum, r) => sum + r.passed, 0);
const failed = runs.reduce((sum, r) => sum + r.failed, 0);
process.stdout.write('\nTest runs:\n');
for (const r of runs) {
  process.stdout.write(`  ${r.label.padEnd(20)} ${r.passed} passed, ${r.failed} failed\n`);
}
for (const s of skipped) process.stdout.write(`  skipped: ${s}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
