import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DependencyState, HealthResponse } from '@keyward/shared';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { REDIS } from '../redis/redis.module.js';

const VERSION = process.env.npm_package_version ?? '0.1.0';

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  /**
   * Liveness: the process answers, whatever its dependencies do. For orchestrators that restart
   * a stuck process (restarting on a database outage would only add to it) and as the cheapest
   * route, the baseline the benchmark measures the key check against.
   */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: 200 when the database answers, 503 otherwise; Redis being down only degrades. */
  @Get()
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthResponse> {
    const [database, redis] = await Promise.all([this.databaseState(), this.redisState()]);
    const healthy = database === 'up' && redis !== 'down';
    if (database !== 'up') void reply.status(503);
    return {
      status: healthy ? 'ok' : 'degraded',
      database,
      redis,
      version: VERSION,
      uptimeSeconds: Math.round(process.uptime()),
    };
  }

  private async databaseState(): Promise<DependencyState> {
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), 2_000);
      return 'up';
    } catch {
      return 'down';
    }
  }

  private async redisState(): Promise<DependencyState> {
    if (!this.redis) return 'disabled';
    try {
      await withTimeout(this.redis.ping(), 1_000);
      return 'up';
    } catch {
      return 'down';
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('timeout'));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
