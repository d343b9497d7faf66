import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, LessThan, Raw } from 'typeorm';
import { PeriodicJob } from '../common/periodic-job.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { withAdvisoryLock } from '../database/advisory-lock.js';
import { ProviderCredential } from './provider-credential.entity.js';
import { ProviderKeysService } from './provider-keys.service.js';

const BATCH = 50;
const START_DELAY_MS = 1_000;
/** Only one replica runs the job at a time. */
const JOB_LOCK_ID = 0x72766679; // "rvfy"

/**
 * Keeps credential statuses fresh: every credential not checked within the interval is verified
 * again. A failed check is recorded on the credential; one failing credential never stops the rest.
 */
@Injectable()
export class ReverificationJob implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ReverificationJob.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: ProviderKeysService,
  ) {
    const minutes = config.providers.reverifyIntervalMinutes;
    this.job = new PeriodicJob({
      // Wake often enough to pick up credentials as they fall due, but not more than once a
      // minute; also shortly after start, so statuses are fresh after downtime.
      intervalMs: Math.min(minutes * 60_000, 60_000),
      startDelayMs: START_DELAY_MS,
      run: (isStopping) =>
        withAdvisoryLock(this.dataSource, JOB_LOCK_ID, () => this.checkDue(isStopping), 0),
      logger: this.logger,
      failureMessage: 'Re-verification failed',
    });
  }

  onModuleInit(): void {
    this.job.start();
  }

  async onApplicationShutdown(): Promise<void> {
    // A run stops between credentials, so shutdown waits for one check at most.
    await this.job.stop();
  }

  /** Verifies every credential that fell due; returns how many were checked. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  private async checkDue(isStopping: () => boolean): Promise<number> {
    try {
      const dueBefore = new Date(
        Date.now() - this.config.providers.reverifyIntervalMinutes * 60_000,
      );
      let checked = 0;
      for (;;) {
        // Past those seen in this run: a check that failed left its credential due, and a page
        // of such credentials must not hide the ones behind it.
        const unseen = Raw((id) => `${id} <> ALL(:seen)`, { seen: [...this.seen] });
        const pending = await this.dataSource.getRepository(ProviderCredential).find({
          where: [
            { lastVerifiedAt: LessThan(dueBefore), id: unseen },
            { lastVerifiedAt: IsNull(), id: unseen },
          ],
          // Never-checked credentials first, then the stalest.
          order: { lastVerifiedAt: { direction: 'ASC', nulls: 'FIRST' } },
          take: BATCH,
        });
        if (pending.length === 0 || isStopping()) break;
        for (const credential of pending) {
          if (isStopping()) return checked;
          this.seen.add(credential.id);
          try {
            await this.keys.reverify(credential);
          } catch (error) {
            this.logger.warn(
              { err: error, providerKeyId: credential.id },
              'Could not re-verify a credential',
            );
          }
          checked += 1;
        }
      }
      return checked;
    } finally {
      this.seen.clear();
    }
  }

  /** Credentials handled in this run, so one that cannot be verified is not retried in a loop. */
  private readonly seen = new Set<string>();
}
