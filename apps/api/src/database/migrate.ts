import 'reflect-metadata';
import { loadConfig, ConfigError } from '../config/app-config.js';
import { migrateDatabase } from './data-source.js';

/** `pnpm migrate`: applies pending migrations (start-up does this too) and reports them. */
async function main(): Promise<void> {
  const applied = await migrateDatabase(loadConfig().database);
  process.stdout.write(
    applied.length ? `Applied migrations:\n  ${applied.join('\n  ')}\n` : 'Schema is up to date.\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
