import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type {
  AuditAction,
  AuditEventResponse,
  AuditVerifyResponse,
  ListAuditQuery,
  Page,
} from '@keyward/shared';
import { hash } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { timeRange } from '../common/time-range.js';
import { newId } from '../database/ids.js';
import type { JsonObject } from '../database/json.js';
import { AuditEvent } from './audit-event.entity.js';
import { canonicalJson } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);
/** Serialises audit writes so the chain never forks. */
export const AUDIT_CHAIN_LOCK = 0x61756474; // "audt"
const VERIFY_BATCH = 1_000;
const VERIFY_REUSE_MS = 30_000;

export interface AuditEntry {
  action: AuditAction;
  ownerUserId: string | null;
  actorUserId?: string | null;
  actorKeyId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Never a secret: callers pass ids, names and counts only. */
  details?: JsonObject;
}

type ChainedFields = Pick<
  AuditEvent,
  | 'id'
  | 'sequence'
  | 'action'
  | 'ownerUserId'
  | 'actorUserId'
  | 'actorKeyId'
  | 'targetType'
  | 'targetId'
  | 'ip'
  | 'userAgent'
  | 'details'
  | 'createdAt'
  | 'prevHash'
>;

export function auditHash(event: ChainedFields): string {
  return hash(
    'sha256',
    canonicalJson({
      id: event.id,
      sequence: event.sequence,
      action: event.action,
      ownerUserId: event.ownerUserId,
      actorUserId: event.actorUserId,
      actorKeyId: event.actorKeyId,
      targetType: event.targetType,
      targetId: event.targetId,
      ip: event.ip,
      userAgent: event.userAgent,
      details: event.details,
      createdAt: event.createdAt.toISOString(),
      prevHash: event.prevHash,
    }),
    'hex',
  );
}

@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);
  private lastVerification: { at: number; result: AuditVerifyResponse } | undefined;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Appends an entry inside the caller's transaction, so the record and the change it describes
   * commit (or roll back) together.
   */
  async record(manager: EntityManager, entry: AuditEntry): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
    const last: { sequence: string; hash: string }[] = await manager.query(
      'SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1',
    );
    const previous = last[0];
    const event: ChainedFields = {
      id: newId('aud'),
      sequence: previous ? Number(previous.sequence) + 1 : 1,
      action: entry.action,
      ownerUserId: entry.ownerUserId,
      actorUserId: entry.actorUserId ?? null,
      actorKeyId: entry.actorKeyId ?? null,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      ip: entry.ip ?? null,
      userAgent: entry.userAgent ?? null,
      details: entry.details ?? {},
      createdAt: new Date(),
      prevHash: previous?.hash ?? GENESIS_HASH,
    };
    await manager.query(
      `INSERT INTO audit_events (id, sequence, action, owner_user_id, actor_user_id, actor_key_id,
         target_type, target_id, ip, user_agent, details, created_at, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14)`,
      [
        event.id,
        event.sequence,
        event.action,
        event.ownerUserId,
        event.actorUserId,
        event.actorKeyId,
        event.targetType,
        event.targetId,
        event.ip,
        event.userAgent,
        JSON.stringify(event.details),
        event.createdAt,
        event.prevHash,
        auditHash(event),
      ],
    );
  }

  /** For events that are not part of another change (failed sign-ins, verification bursts). */
  async recordAlone(entry: AuditEntry): Promise<void> {
    await this.dataSource.transaction((manager) => this.record(manager, entry));
  }

  /** Fire-and-forget variant for hot paths: a failure is logged, never thrown at the caller. */
  recordInBackground(entry: AuditEntry): void {
    this.recordAlone(entry).catch((error: unknown) => {
      this.logger.error({ err: error, action: entry.action }, 'Could not write an audit entry');
    });
  }

  async list(principal: Principal, query: ListAuditQuery): Promise<Page<AuditEventResponse>> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const builder = this.dataSource.getRepository(AuditEvent).createQueryBuilder('event');
    // Users see their own events; admins signed in to the console see everyone's.
    if (!(principal.kind === 'session' && principal.role === 'admin')) {
      builder.where('event.ownerUserId = :userId', { userId: principal.userId });
    }
    if (query.action) {
      if (query.action.includes('.')) {
        builder.andWhere('event.action = :action', { action: query.action });
      } else builder.andWhere('event.action LIKE :prefix', { prefix: `${query.action}.%` });
    }
    const range = timeRange(query.from, query.to);
    if (range.from) builder.andWhere('event.createdAt >= :from', { from: range.from });
    if (range.to) builder.andWhere('event.createdAt < :to', { to: range.to });
    const [events, total] = await builder
      .orderBy('event.sequence', 'DESC')
      .skip((page - 1) * pageSize)
      .take(pageSize)
      .getManyAndCount();
    return { items: events.map(toAuditResponse), page, pageSize, total };
  }

  /**
   * Walks the whole chain in order, recomputing every hash. The answer is reused for a short
   * while, so any user asking cannot make the server re-read the whole log on every request.
   */
  async verify(): Promise<AuditVerifyResponse> {
    const now = Date.now();
    if (this.lastVerification && now - this.lastVerification.at < VERIFY_REUSE_MS) {
      return this.lastVerification.result;
    }
    const result = await this.walkChain();
    this.lastVerification = { at: now, result };
    return result;
  }

  private async walkChain(): Promise<AuditVerifyResponse> {
    const repository = this.dataSource.getRepository(AuditEvent);
    let previousHash = GENESIS_HASH;
    let expectedSequence = 1;
    let checked = 0;
    for (;;) {
      const batch = await repository
        .createQueryBuilder('event')
        .where('event.sequence >= :from', { from: expectedSequence })
        .orderBy('event.sequence', 'ASC')
        .take(VERIFY_BATCH)
        .getMany();
      if (batch.length === 0) return { intact: true, checked, firstBrokenSequence: null };
      for (const event of batch) {
        const broken =
          event.sequence !== expectedSequence ||
          event.prevHash !== previousHash ||
          auditHash(event) !== event.hash;
        if (broken) return { intact: false, checked, firstBrokenSequence: expectedSequence };
        previousHash = event.hash;
        expectedSequence += 1;
        checked += 1;
      }
    }
  }
}

function toAuditResponse(event: AuditEvent): AuditEventResponse {
  return {
    id: event.id,
    sequence: event.sequence,
    action: event.action,
    actorUserId: event.actorUserId,
    actorKeyId: event.actorKeyId,
    targetType: event.targetType,
    targetId: event.targetId,
    ip: event.ip,
    userAgent: event.userAgent,
    details: event.details,
    createdAt: event.createdAt.toISOString(),
  };
}
