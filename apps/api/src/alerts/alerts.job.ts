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
import { withAdvisoryLock } from '../database/advisory-lock.js';
import { isDatabaseUnavailable } from '../database/unavailable.js';
import {
  ERROR_RATE_MIN_REQUESTS,
  ERROR_RATE_PERCENT,
  errorRateExceeded,
  errorRatePeriod,
  KEY_EXPIRY_WARNING_DAYS,
} from './alert-rules.js';
import { AlertsService } from './alerts.service.js';

const START_DELAY_MS = 1_000;
/** Only one replica runs the rules at a time. */
const JOB_LOCK_ID = 0x616c7274; // "alrt"

interface ExpiringKeyRow {
  id: string;
  user_id: string;
  name: string;
  expires_at: Date | string;
}

interface ErrorRateRow {
  user_id: string;
  requests: number | string;
  failures: number | string;
  server_errors: number | string;
  refused_by_limits: number | string;
}

/**
 * The alert rules that depend on time rather than on a request: keys about to expire and error
 * rates. Thresholds that a request crosses (quotas, budgets), a credential turning invalid and a
 * leaked key are announced where they happen. Every alert goes through `fireOnce`, so running
 * the rules again, or on several replicas, never repeats one.
 */
@Injectable()
export class AlertsJob implements OnModuleInit, OnApplicationShutdown {
  private readonly job: PeriodicJob;
  private readonly logger = new Logger(AlertsJob.name);

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly alerts: AlertsService,
  ) {
    this.job = new PeriodicJob({
      intervalMs: config.alerts.checkIntervalSeconds * 1000,
      startDelayMs: START_DELAY_MS,
      run: (isStopping) =>
        withAdvisoryLock(
          this.dataSource,
          JOB_LOCK_ID,
          async () =>
            (await this.rule('expiring keys', () => this.expiringKeys(isStopping))) +
            (isStopping() ? 0 : await this.rule('error rates', () => this.errorRates(isStopping))),
          0,
        ),
      logger: this.logger,
      failureMessage: 'Alert checks failed',
    });
  }

  onModuleInit(): void {
    this.job.start();
  }

  async onApplicationShutdown(): Promise<void> {
    // A run stops between alerts, so shutdown waits for the query or alert under way at most.
    await this.job.stop();
  }

  /** Runs every rule once; returns how many alerts were fired. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  /** One rule's run: its failure (a query that failed) is logged and leaves the others to run. */
  private async rule(name: string, run: () => Promise<number>): Promise<number> {
    try {
      return await run();
    } catch (error) {
      this.logger.error({ err: error }, `Alert rule "${name}" failed`);
      return 0;
    }
  }

  /**
   * Fires the alert of each row; a failure is logged and the rest of the run goes on, so one
   * user's alert that cannot be written never holds back everyone else's. Not fired, it is tried
   * again on the next run (`fireOnce` makes repeats harmless). A database that went away ends the
   * rule with one line instead: every row after would fail the same way, each with its own. (A
   * statement left unanswered past its timeout counts as that too; the rest wait a run.)
   */
  private async fireEach<Row>(
    isStopping: () => boolean,
    rows: Row[],
    describe: (row: Row) => string,
    fire: (row: Row) => Promise<boolean>,
  ): Promise<number> {
    let fired = 0;
    for (const row of rows) {
      if (isStopping()) break;
      try {
        if (await fire(row)) fired += 1;
      } catch (error) {
        if (isDatabaseUnavailable(error)) {
          this.logger.error({ err: error }, `Stopped at ${describe(row)}: the database went away`);
          break;
        }
        this.logger.error({ err: error }, `Could not fire ${describe(row)}`);
      }
    }
    return fired;
  }

  /** Once per key and expiry: a key whose expiry is moved later is announced again. */
  private async expiringKeys(isStopping: () => boolean): Promise<number> {
    const rows: ExpiringKeyRow[] = await this.dataSource.query(
      `SELECT id, user_id, name, expires_at FROM api_keys
       WHERE revoked_at IS NULL AND expires_at > now()
         AND expires_at <= now() + make_interval(days => $1)`,
      [KEY_EXPIRY_WARNING_DAYS],
    );
    return this.fireEach(
      isStopping,
      rows,
      (row) => `the expiry warning of key ${row.id}`,
      (row) => {
        const expiresAt = new Date(row.expires_at).toISOString();
        const days = Math.max(1, Math.ceil((Date.parse(expiresAt) - Date.now()) / DAY_MS));
        return this.alerts.fireOnce(
          {
            userId: row.user_id,
            subject: `key.expiring:${row.id}`,
            period: expiresAt,
            threshold: KEY_EXPIRY_WARNING_DAYS,
          },
          {
            kind: 'key_expiring',
            title: `API key "${row.name}" expires in ${days} day${days === 1 ? '' : 's'}`,
            body: `It stops working on ${expiresAt.slice(0, 10)}. Create a replacement and move your applications to it, or extend its expiry.`,
            data: { keyId: row.id, expiresAt },
          },
        );
      },
    );
  }

  /**
   * From the raw events of the last hour (a range scan of the time index: an hour of events, not
   * the table); once per user per UTC day, so an outage that lasts all afternoon is one alert.
   */
  private async errorRates(isStopping: () => boolean): Promise<number> {
    const rows: ErrorRateRow[] = await this.dataSource.query(
      `SELECT user_id, count(*) AS requests, count(*) FILTER (WHERE NOT success) AS failures,
              count(*) FILTER (WHERE NOT success AND status >= 500) AS server_errors,
              count(*) FILTER (WHERE NOT success AND status = 429) AS refused_by_limits
       FROM usage_events
       WHERE occurred_at >= now() - interval '1 hour'
       GROUP BY user_id
       HAVING count(*) >= $1 AND count(*) FILTER (WHERE NOT success) * 100 > $2 * count(*)`,
      [ERROR_RATE_MIN_REQUESTS, ERROR_RATE_PERCENT],
    );
    const period = errorRatePeriod(new Date());
    const exceeded = rows.filter((row) =>
      errorRateExceeded(Number(row.requests), Number(row.failures)),
    );
    return this.fireEach(
      isStopping,
      exceeded,
      (row) => `the error-rate alert of user ${row.user_id}`,
      (row) => {
        const requests = Number(row.requests);
        const failures = Number(row.failures);
        const percent = Math.round((failures / requests) * 1000) / 10;
        // Said apart, since each calls for something else: a provider or Keyward failing, the
        // caller going past its limits, or requests that were wrong (bad body, key, scope, model).
        const serverErrors = Number(row.server_errors);
        const refusedByLimits = Number(row.refused_by_limits);
        const rejected = failures - serverErrors - refusedByLimits;
        return this.alerts.fireOnce(
          {
            userId: row.user_id,
            subject: 'usage.error_rate',
            period,
            threshold: ERROR_RATE_PERCENT,
          },
          {
            kind: 'error_rate',
            title: `${percent}% of your requests failed in the last hour`,
            body:
              `${failures} of ${requests} guarded requests failed: ${serverErrors} with a provider or server error (5xx), ` +
              `${refusedByLimits} refused by a rate limit or quota (429), ${rejected} rejected as invalid or not allowed (other 4xx). ` +
              'The usage events show which keys, routes and providers.',
            data: {
              requests,
              failures,
              serverErrors,
              refusedByLimits,
              rejected,
              percent,
              thresholdPercent: ERROR_RATE_PERCENT,
              day: period,
            },
          },
        );
      },
    );
  }
}
