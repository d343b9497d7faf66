import type { LeakAction, Scope } from '@keyward/shared';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAt, UpdatedAt } from '../database/timestamps.js';

/**
 * An issued API key. Its id is stable across regenerations; the secrets themselves (hashes only)
 * live in `api_key_secrets`, one row per version.
 */
@Entity('api_keys')
export class ApiKey {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Index()
  @Column({ name: 'user_id', type: 'text' })
  userId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text' })
  prefix!: string;

  @Column({ type: 'text', array: true })
  scopes!: Scope[];

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'rate_limit', type: 'integer' })
  rateLimit!: number;

  @Column({ name: 'rate_window_seconds', type: 'integer' })
  rateWindowSeconds!: number;

  @Column({ name: 'allowed_models', type: 'text', array: true })
  allowedModels!: string[];

  @Column({ type: 'jsonb' })
  metadata!: Record<string, string | number | boolean | null>;

  @Column({ name: 'on_leak', type: 'text' })
  onLeak!: LeakAction;

  @Column({
    name: 'monthly_budget_micros',
    type: 'bigint',
    nullable: true,
    transformer: {
      to: (value: number | null | undefined) => value,
      from: (value: string | null) => (value === null ? null : Number(value)),
    },
  })
  monthlyBudgetMicros!: number | null;

  /** Display parts of the current secret, so listing needs no join. */
  @Column({ name: 'display_start', type: 'text' })
  displayStart!: string;

  @Column({ name: 'display_end', type: 'text' })
  displayEnd!: string;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @CreatedAt()
  createdAt!: Date;

  @UpdatedAt()
  updatedAt!: Date;
}
