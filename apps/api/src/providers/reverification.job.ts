import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan, IsNull } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
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
  private timer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private running: Promise<number> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: ProviderKeysService,
  ) {}

  onModuleInit(): void {
    const minutes = this.config.providers.reverifyIntervalMinutes;
    if (minutes === 0) return;
    // Wake often enough to pick up credentials as they fall due, but not more than once a minute.
    const wakeMs = Math.min(minutes * 60_000, 60_000);
    this.timer = setInterval(() => void this.runOnce(), wakeMs);
    this.timer.unref();
    // Also shortly after start, so statuses are fresh after downtime.
    this.startTimer = setTimeout(() => void this.runOnce(), START_DELAY_MS);
    this.startTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    // A run stops between credentials, so shutdown waits for one check at most.
    this.stopping = true;
    clearInterval(this.timer);
    clearTimeout(this.startTimer);
    await this.running;
  }

  /** Verifies every credential that fell due; returns how many were checked. */
  runOnce(): Promise<number> {
    this.running ??= this.checkDue()
      .catch((error: unknown) => {
        this.logger.error({ err: error }, 'Re-verification failed');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async checkDue(): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [lock] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        JOB_LOCK_ID,
      ])) as {
        locked: boolean;
      }[];
      if (!lock?.locked) return 0;
      try {
        const dueBefore = new Date(
          Date.now() - this.config.providers.reverifyIntervalMinutes * 60_000,
        );
        let checked = 0;
        for (;;) {
          const due = await this.dataSource.getRepository(ProviderCredential).find({
            where: [{ lastVerifiedAt: LessThan(dueBefore) }, { lastVerifiedAt: IsNull() }],
            // Never-checked credentials first, then the stalest.
            order: { lastVerifiedAt: { direction: 'ASC', nulls: 'FIRST' } },
            take: BATCH,
          });
          const pending = due.filter((credential) => !this.seen.has(credential.id));
          if (pending.length === 0 || this.isStopping()) break;
          for (const credential of pending) {
            if (this.isStopping()) return checked;
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
        await runner.query('SELECT pg_advisory_unlock($1)', [JOB_LOCK_ID]);
      }
    } finally {
      await runner.release();
    }
  }

  /** A method, not a field read, so each check sees a shutdown that began meanwhile. */
  private isStopping(): boolean {
    return this.stopping;
  }

  /** Credentials handled in this run, so one that cannot be verified is not retried in a loop. */
  private readonly seen = new Set<string>();
}
