// `pnpm bench`: the benchmark suite (apps/api/bench). Builds what is missing, makes sure
// PostgreSQL and Redis answer, then runs the scenarios; extra arguments pass through
// (`pnpm bench --quick`, `pnpm bench --only=2`).
import { join } from 'node:path';
import { ROOT, buildWhatIsMissing, reachable, run } from './lib.mjs';

const PG = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

for (const [what, url, hint] of [
  ['PostgreSQL', PG, 'set BENCH_PG_ADMIN_URL, or start it (see README)'],
  ['Redis', REDIS, 'set BENCH_REDIS_URL, or start it (see README)'],
]) {
  if (!(await reachable(url))) {
    process.stderr.write(`The benchmark needs ${what} at ${new URL(url).host}: ${hint}\n`);
    process.exit(1);
  }
}
await buildWhatIsMissing();
const code = await run(
  process.execPath,
  ['--import', 'tsx', 'bench/run.ts', ...process.argv.slice(2)],
  { cwd: join(ROOT, 'apps/api') },
);
process.exit(code);
