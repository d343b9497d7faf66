import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DAY_MS } from '@keyward/shared';
import { PeriodicJob } from '../common/periodic-job.js';
import { purgeInBatches } from '../database/batched-purge.js';

const START_DELAY_MS = 3_000;
const JOB_LOCK_ID = 0x73657373; // "sess"
/**
 * How long an ended session is kept: its refresh tokens then still answer "revoked" rather than
 * "unknown", and an operator looking into a sign-out finds the row for a while.
 */
const ENDED_SESSION_KEEP_DAYS = 7;

/**
 * Up to `$2` sessions that ended (expired, or revoked at sign-out) over `$1` days ago. A session
 * ends at the earlier of the two (LEAST skips a null revoked_at), which is what
 * sessions_ended_at_idx holds: a range scan, not a pass over every session each batch.
 */
export const SESSIONS_ENDED_BEFORE = `SELECT id FROM sessions
   WHERE LEAST(expires_at, revoked_at) < now() - make_interval(days => $1)
   LIMIT $2`;

/**
 * Every sign-in adds a session, and every refresh a token row kept until the session ends (a used
 * token presented again revokes its session). Once a day, and shortly after start, sessions
 * that expired or were revoked more than ENDED_SESSION_KEEP_DAYS ago go, their tokens with them;
 * the audit log keeps the history of sign-ins and sign-outs.
 */
@Injectable()
export class SessionPurgeJob implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SessionPurgeJob.name);
  private readonly job: PeriodicJob;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.job = new PeriodicJob({
      intervalMs: DAY_MS,
      startDelayMs: START_DELAY_MS,
      run: (isStopping) => this.purge(isStopping),
      logger: this.logger,
      failureMessage: 'Session purge failed',
    });
  }

  onModuleInit(): void {
    this.job.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  private async purge(isStopping: () => boolean): Promise<number> {
    const purged = await purgeInBatches(this.dataSource, {
      lockId: JOB_LOCK_ID,
      deleteSql: `DELETE FROM sessions WHERE id IN (${SESSIONS_ENDED_BEFORE}) RETURNING 1`,
      parameters: [ENDED_SESSION_KEEP_DAYS],
      isStopping,
    });
    if (purged) {
      this.logger.log(
        `Purged ${purged} sessions that ended over ${ENDED_SESSION_KEEP_DAYS} days ago`,
      );
    }
    return purged ?? 0;
  }
}
