import 'reflect-metadata';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config.js';
import { openDatabase } from './database/data-source.js';
import { createApp } from './app.factory.js';
import { createRootLogger } from './logging/logger.js';
import { AdminBootstrapService } from './users/admin-bootstrap.service.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createRootLogger(config.logLevel);
  logger.info(
    { database: config.database.kind, redis: config.redisUrl ? 'configured' : 'disabled', dataDir: config.dataDir },
    'Starting Keyward',
  );
  const dataSource = await openDatabase(config.database);
  const app = await createApp(config, dataSource, logger);
  await app.listen({ port: config.http.port, host: config.http.host });

  const shownHost = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const url = `http://${shownHost}:${config.http.port}`;
  logger.info({ url }, 'Keyward is listening');
  const hint = app.get(AdminBootstrapService).signInHint;
  process.stdout.write(`\n  Keyward is running at ${url}\n  ${hint}\n  API docs: ${url}/api/docs\n\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`Keyward failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
