import 'reflect-metadata';
import { errorMessage } from './common/error-message.js';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config.js';
import { openDatabase } from './database/data-source.js';
import { missingKeyVersions } from './providers/master-key-rotation.js';
import { createApp } from './app.factory.js';
import { createRootLogger } from './logging/logger.js';
import { AdminBootstrapService } from './users/admin-bootstrap.service.js';

/** Beyond SHUTDOWN_TIMEOUT_MS: time to write the buffers (retrying a database that is away). */
const SHUTDOWN_FLUSH_ALLOWANCE_MS = 15_000;

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
    {
      database: config.database.kind,
      redis: config.redisUrl ? 'configured' : 'disabled',
      dataDir: config.dataDir,
    },
    'Starting Keyward',
  );
  const dataSource = await openDatabase(config.database);
  // A credential sealed by a master key that is no longer configured could never be opened.
  const missing = await missingKeyVersions(dataSource, config.providers.masterKeys);
  if (missing.length > 0) {
    process.stderr.write(
      `ENCRYPTION_KEYS: credentials are sealed with master key version(s) ${missing.join(', ')}, which are not configured\n`,
    );
    process.exit(1);
  }
  const app = await createApp(config, dataSource, logger);
  await app.listen({ port: config.http.port, host: config.http.host });

  const shownHost =
    config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const url = `http://${shownHost}:${config.http.port}`;
  logger.info({ url }, 'Keyward is listening');
  // Graceful stop: finish in-flight requests (cut at SHUTDOWN_TIMEOUT_MS, see app.factory), run
  // every module's shutdown hook (buffers, pools), then exit 0. A stuck hook cannot keep the
  // process alive past the deadline.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'Shutting down');
    setTimeout(() => {
      logger.error('Shutdown took too long; exiting');
      process.exit(1);
    }, config.http.shutdownTimeoutMs + SHUTDOWN_FLUSH_ALLOWANCE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  const hint = app.get(AdminBootstrapService).signInHint;
  process.stdout.write(
    `\n  Keyward is running at ${url}\n  ${hint}\n  API docs: ${url}/api/docs\n\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`Keyward failed to start: ${errorMessage(error)}\n`);
  process.exit(1);
});
