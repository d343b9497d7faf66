import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DAY_MS } from '@keyward/shared';
import { PeriodicJob } from '../common/periodic-job.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { purgeInBatches } from '../database/batched-purge.js';

const START_DELAY_MS = 2_000;
const JOB_LOCK_ID = 0x75737072; // "uspr"

/**
 * Deletes raw usage events older than USAGE_RETENTION_DAYS, once a day and shortly after start.
 * The daily rollups are kept, so analytics over older days stay whole; only the event list and
 * the CSV export stop reaching back past the retention period.
 */
@Injectable()
export class UsageRetentionJob implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UsageRetentionJob.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.job = new PeriodicJob({
      intervalMs: DAY_MS,
      startDelayMs: START_DELAY_MS,
      run: (isStopping) => this.purge(new Date(), isStopping),
      logger: this.logger,
      failureMessage: 'Usage retention purge failed',
    });
  }

  onModuleInit(): void {
    this.job.start();
  }

  async onApplicationShutdown(): Promise<void> {
    // A run stops between batches, so shutdown waits for one delete at most.
    await this.job.stop();
  }

  /** Purges what fell out of the retention period; returns how many events went. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  private async purge(now: Date, isStopping: () => boolean): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.usageRecording.retentionDays * DAY_MS);
    const purged = await purgeInBatches(this.dataSource, {
      lockId: JOB_LOCK_ID,
      deleteSql: `DELETE FROM usage_events WHERE id IN (
          SELECT id FROM usage_events WHERE occurred_at < $1 ORDER BY occurred_at LIMIT $2)
        RETURNING 1`,
      parameters: [cutoff],
      isStopping,
    });
    if (purged === null) {
      this.logger.debug('Another replica is purging usage events');
      return 0;
    }
    if (purged > 0) {
      this.logger.log(`Purged ${purged} usage events from before ${cutoff.toISOString()}`);
    }
    return purged;
  }
}
