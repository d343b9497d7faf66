import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** The shared Redis connection, or null when REDIS_URL is not set. */
export const REDIS = Symbol('REDIS');

export function createRedisClient(url: string): Redis {
  const logger = new Logger('Redis');
  const client = new Redis(url, {
    // Fail fast instead of queueing: callers have an in-process fallback and must not hang.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // A command whose answer was lost is not sent again after a reconnect: its caller has moved on
    // (timed out, counted in process), and the counting scripts are not idempotent.
    autoResendUnfulfilledCommands: false,
    // Commands issued in the same tick (rate limit, quota and key checks of concurrent requests)
    // leave in one write: under load this saves most of the system calls Redis costs.
    enableAutoPipelining: true,
  });
  let reported = false;
  client.on('error', (error: Error) => {
    if (!reported) logger.warn(`Redis unreachable (${error.message}); using in-process fallbacks`);
    reported = true;
  });
  client.on('ready', () => {
    if (reported) logger.log('Redis reachable again');
    reported = false;
  });
  return client;
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): Redis | null =>
        config.redisUrl ? createRedisClient(config.redisUrl) : null,
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}
