import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAt } from '../database/timestamps.js';

/**
 * A console sign-in: the family of refresh tokens that descend from one login. Revoking the
 * session (logout, reuse detected, user disabled) ends every token of the family and every access
 * token that names it.
 */
@Entity('sessions')
export class Session {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Index()
  @Column({ name: 'user_id', type: 'text' })
  userId!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'text', nullable: true })
  revokedReason!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ name: 'last_refreshed_at', type: 'timestamptz', nullable: true })
  lastRefreshedAt!: Date | null;

  @CreatedAt()
  createdAt!: Date;
}
