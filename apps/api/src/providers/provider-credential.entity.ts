import type { CredentialStatus, ProviderId } from '@keyward/shared';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAt, UpdatedAt } from '../database/timestamps.js';

/** A user's key for a third-party provider, sealed with envelope encryption. */
@Entity('provider_credentials')
export class ProviderCredential {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Index()
  @Column({ name: 'user_id', type: 'text' })
  userId!: string;

  @Column({ type: 'text' })
  provider!: ProviderId;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'masked_key', type: 'text' })
  maskedKey!: string;

  @Column({ type: 'bytea', select: false })
  ciphertext!: Buffer;

  @Column({ name: 'wrapped_key', type: 'bytea', select: false })
  wrappedKey!: Buffer;

  @Column({ name: 'key_version', type: 'text' })
  keyVersion!: string;

  @Column({ type: 'text' })
  status!: CredentialStatus;

  @Column({ name: 'last_verified_at', type: 'timestamptz', nullable: true })
  lastVerifiedAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'last_http_status', type: 'integer', nullable: true })
  lastHttpStatus!: number | null;

  @CreatedAt()
  createdAt!: Date;

  @UpdatedAt()
  updatedAt!: Date;
}
