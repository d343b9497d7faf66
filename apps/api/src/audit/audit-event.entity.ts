import type { AuditAction } from '@keyward/shared';
import type { JsonObject } from '../database/json.js';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An append-only record of a security-relevant event. `hash` covers this row and the previous
 * row's hash, so editing or deleting any entry breaks the chain from there on.
 */
@Entity('audit_events')
export class AuditEvent {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Index({ unique: true })
  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  sequence!: number;

  @Column({ type: 'text' })
  action!: AuditAction;

  /** The user the event belongs to (who sees it in their log). */
  @Index()
  @Column({ name: 'owner_user_id', type: 'text', nullable: true })
  ownerUserId!: string | null;

  @Column({ name: 'actor_user_id', type: 'text', nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'actor_key_id', type: 'text', nullable: true })
  actorKeyId!: string | null;

  @Column({ name: 'target_type', type: 'text', nullable: true })
  targetType!: string | null;

  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'jsonb' })
  details!: JsonObject;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'prev_hash', type: 'text' })
  prevHash!: string;

  @Column({ type: 'text' })
  hash!: string;
}
