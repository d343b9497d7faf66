import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { LeakReportEntry, LeakReportResult } from '@keyward/shared';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { AppException } from '../common/app.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { KeyCache } from '../keys/key-cache.js';
import { hashApiKey, isWellFormedApiKey } from '../keys/key-format.js';
import { NotificationsService } from '../notifications/notifications.service.js';

const MAX_ENTRIES = 1_000;

interface LeakedKeyRow {
  key_id: string;
  secret_id: string;
  user_id: string;
  name: string;
  on_leak: 'revoke' | 'flag';
  revoked_at: Date | null;
  /** Set once a regeneration replaced this secret. */
  secret_expires_at: Date | null;
}

type LeakOutcome =
  'revoked' | 'flagged' | 'already_revoked' | 'superseded_secret_ended' | 'superseded_secret';

@Injectable()
export class LeaksService {
  constructor(
    @Inject(APP_CONFIG) readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly cache: KeyCache,
  ) {}

  /**
   * For each reported token that is a Keyward key: revoke it (or only flag it, per the key's
   * setting), and tell its owner through the audit log and a notification.
   */
  async handleReport(body: unknown, ip: string): Promise<LeakReportResult[]> {
    const entries = parseReport(body);
    const results: LeakReportResult[] = [];
    /** Secrets dealt with by this report: a token quoted many times is acted on once. */
    const handled = new Set<string>();
    for (const entry of entries) {
      // The checksum answers for strings that are not Keyward keys, without a query.
      const row = isWellFormedApiKey(entry.token) ? await this.findKey(entry.token) : undefined;
      results.push({
        token_raw: entry.token,
        token_type: entry.type,
        label: row ? 'true_positive' : 'false_positive',
      });
      if (!row || handled.has(row.secret_id)) continue;
      handled.add(row.secret_id);
      // A revoked key and an ended secret stay so: a report of one is settled without a lock.
      if (nothingToDo(leakOutcome(row, new Date()))) continue;
      const outcome = await this.act(row.key_id, entry, ip);
      // Evicted as soon as the change commits, so a later failing entry cannot skip it.
      if (outcome === 'revoked' || outcome === 'superseded_secret_ended') {
        await this.cache.invalidate([row.key_id]);
      }
    }
    return results;
  }

  /**
   * A leaked current secret revokes the key (or flags it, per the key's setting). A leaked secret
   * that a regeneration already replaced must not take the new one down: its grace period, if
   * still running, ends now, and the key stays.
   */
  private async act(
    keyId: string,
    entry: LeakReportEntry,
    ip: string,
  ): Promise<LeakOutcome | undefined> {
    return this.dataSource.transaction(async (manager) => {
      // Read again once the key's lock, which a regeneration and a revocation also take, is
      // held: a regeneration committed since the first read makes the reported secret a replaced
      // one, which must not take the new secret down, and two reports of one key at once act
      // once. The lock comes first and the read after it, in a statement of its own, because a
      // locking read would see the secret's row as it was before the wait.
      await manager.query('SELECT 1 FROM api_keys WHERE id = $1 FOR NO KEY UPDATE', [keyId]);
      const row = await this.findKey(entry.token, manager);
      if (!row) return undefined;
      const outcome = leakOutcome(row, new Date());
      // Reports are unauthenticated unless signing keys are configured, and a leaked token stays
      // public: a report that changes nothing, or repeats what the owner was told, is not
      // written again, so it cannot flood the owner's notifications, webhook and audit log.
      if (nothingToDo(outcome)) return undefined;
      if (outcome === 'flagged' && (await this.alreadyTold(manager, row, entry.url))) {
        return undefined;
      }
      if (outcome === 'revoked') {
        await manager.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [row.key_id]);
      }
      if (outcome === 'superseded_secret_ended') {
        await manager.query('UPDATE api_key_secrets SET expires_at = now() WHERE id = $1', [
          row.secret_id,
        ]);
      }
      await this.audit.record(manager, {
        action: 'key.leaked',
        ownerUserId: row.user_id,
        targetType: 'api_key',
        targetId: row.key_id,
        ip,
        details: { outcome, url: entry.url, source: entry.source },
      });
      await this.notifications.record(manager, {
        userId: row.user_id,
        kind: 'key_leaked',
        title: `API key "${row.name}" was found in public`,
        body: describeOutcome(outcome, entry.url),
        data: { keyId: row.key_id, url: entry.url, source: entry.source, outcome },
      });
      return outcome;
    });
  }

  /** Whether the owner was already told that this key was found at this address. */
  private async alreadyTold(
    manager: EntityManager,
    row: LeakedKeyRow,
    url: string,
  ): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM notifications
        WHERE user_id = $1 AND kind = 'key_leaked' AND data->>'keyId' = $2 AND data->>'url' = $3
        LIMIT 1`,
      [row.user_id, row.key_id, url],
    );
    return rows.length > 0;
  }

  private async findKey(
    token: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<LeakedKeyRow | undefined> {
    const rows: LeakedKeyRow[] = await manager.query(
      `SELECT k.id AS key_id, s.id AS secret_id, k.user_id, k.name, k.on_leak, k.revoked_at,
              s.expires_at AS secret_expires_at
         FROM api_key_secrets s JOIN api_keys k ON k.id = s.key_id
        WHERE s.key_hash = $1`,
      [hashApiKey(token)],
    );
    return rows[0];
  }
}

function parseReport(body: unknown): LeakReportEntry[] {
  const invalid = (message: string): AppException =>
    new AppException(400, 'invalid_leak_report', message);
  if (!Array.isArray(body)) {
    throw invalid('The report must be a JSON array of { token, type, url, source }');
  }
  if (body.length > MAX_ENTRIES) throw invalid(`A report may hold at most ${MAX_ENTRIES} entries`);
  return body.map((entry: unknown, index) => {
    const record = entry as Partial<Record<keyof LeakReportEntry, unknown>> | null;
    const field = (name: keyof LeakReportEntry, max: number): string => {
      const value = record?.[name];
      if (typeof value !== 'string' || value.length === 0 || value.length > max) {
        throw invalid(`Entry ${index}: ${name} must be a string of 1-${max} characters`);
      }
      return value;
    };
    return {
      token: field('token', 512),
      type: field('type', 100),
      url: field('url', 2048),
      source: field('source', 100),
    };
  });
}

const nothingToDo = (outcome: LeakOutcome): outcome is 'already_revoked' | 'superseded_secret' =>
  outcome === 'already_revoked' || outcome === 'superseded_secret';

function leakOutcome(row: LeakedKeyRow, now: Date): LeakOutcome {
  if (row.revoked_at) return 'already_revoked';
  if (row.secret_expires_at) {
    return row.secret_expires_at > now ? 'superseded_secret_ended' : 'superseded_secret';
  }
  return row.on_leak === 'revoke' ? 'revoked' : 'flagged';
}

function describeOutcome(
  outcome: Exclude<LeakOutcome, 'already_revoked' | 'superseded_secret'>,
  url: string,
): string {
  switch (outcome) {
    case 'revoked':
      return `It was revoked automatically. Found at ${url}.`;
    case 'flagged':
      return `Found at ${url}. Regenerate or revoke it now.`;
    case 'superseded_secret_ended':
      return `A previous secret of this key was found at ${url}; its grace period was ended. The current secret still works.`;
  }
}
