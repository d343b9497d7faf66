import 'reflect-metadata';
import { loadConfig, ConfigError } from '../config/app-config.js';
import { createDataSourceOptions, runMigrations } from './data-source.js';
import { DataSource } from 'typeorm';

/** `pnpm migrate`: applies pending migrations (start-up does this too) and reports them. */
async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = new DataSource(createDataSourceOptions(config.database, 'maintenance'));
  await dataSource.initialize();
  try {
    const applied = await runMigrations(dataSource);
    process.stdout.write(
      applied.length
        ? `Applied migrations:\n  ${applied.join('\n  ')}\n`
        : 'Schema is up to date.\n',
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
