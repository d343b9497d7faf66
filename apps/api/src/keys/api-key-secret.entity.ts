import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAt } from '../database/timestamps.js';

/** One version of a key's secret: only its SHA-256 is stored. */
@Entity('api_key_secrets')
export class ApiKeySecret {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Index()
  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ name: 'key_hash', type: 'text', unique: true, select: false })
  keyHash!: string;

  @Column({ name: 'display_start', type: 'text' })
  displayStart!: string;

  @Column({ name: 'display_end', type: 'text' })
  displayEnd!: string;

  /** Set when a regeneration replaced this secret: it works until then (the grace period). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @CreatedAt()
  createdAt!: Date;
}
