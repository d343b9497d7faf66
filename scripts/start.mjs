// `pnpm start`: builds what is missing, then starts the API, which runs pending migrations and
// serves the built console on the same port. `--migrate-only` applies migrations and exits.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, buildWhatIsMissing } from './lib.mjs';

const migrateOnly = process.argv.includes('--migrate-only');

try {
  await buildWhatIsMissing();
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const entry = migrateOnly ? 'apps/api/dist/database/migrate.js' : 'apps/api/dist/main.js';
const child = spawn(process.execPath, [join(ROOT, entry)], { cwd: ROOT, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
