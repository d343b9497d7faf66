import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ProviderId } from '@keyward/shared';
import type { DataSource } from 'typeorm';
import { CredentialVault } from './credential-vault.js';

export interface UsableCredential {
  id: string;
  apiKey: string;
}

interface SealedRow {
  id: string;
  ciphertext: Buffer;
  wrapped_key: Buffer;
  key_version: string;
}

/**
 * Finds the owner's credential for a provider at the moment of an outbound call. Keys the last
 * check found rejected or out of credit are skipped; among the rest, a verified one is preferred.
 */
@Injectable()
export class CredentialLookup {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly vault: CredentialVault,
  ) {}

  async usable(userId: string, provider: ProviderId): Promise<UsableCredential | null> {
    const rows: SealedRow[] = await this.dataSource.query(
      `SELECT id, ciphertext, wrapped_key, key_version FROM provider_credentials
        WHERE user_id = $1 AND provider = $2 AND status NOT IN ('invalid', 'insufficient_quota')
        ORDER BY (status = 'valid') DESC, last_verified_at DESC NULLS LAST, created_at DESC
        LIMIT 1`,
      [userId, provider],
    );
    const row = rows[0];
    if (!row) return null;
    const apiKey = this.vault.open(
      { id: row.id, userId, provider },
      { ciphertext: row.ciphertext, wrappedKey: row.wrapped_key, keyVersion: row.key_version },
    );
    return { id: row.id, apiKey };
  }
}
