import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAt } from '../database/timestamps.js';

/** One refresh token of a session. Only its SHA-256 is kept; each is good for one use. */
@Entity('refresh_tokens')
export class RefreshToken {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Index()
  @Column({ name: 'session_id', type: 'text' })
  sessionId!: string;

  @Column({ name: 'token_hash', type: 'text', unique: true, select: false })
  tokenHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** Set when the token is exchanged; presenting it again means it was stolen. */
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @CreatedAt()
  createdAt!: Date;
}
