import type { DataSource } from 'typeorm';
import type { ProviderId } from '@keyward/shared';
import { aadOf } from './credential-vault.js';
import { rewrapSecret, type MasterKeys } from './crypto/envelope.js';
import { webhookSecretAad } from '../webhooks/webhook-secret.js';

interface SealedRow {
  id: string;
  user_id: string;
  provider: ProviderId;
  ciphertext: Buffer;
  wrapped_key: Buffer;
  key_version: string;
}

/**
 * How many secrets each master key version seals: provider credentials and webhook signing
 * secrets, since both are sealed under the same master keys.
 */
export async function countByKeyVersion(dataSource: DataSource): Promise<Record<string, number>> {
  const rows: { key_version: string; count: string }[] = await dataSource.query(
    `SELECT key_version, count(*) AS count FROM (
       SELECT key_version FROM provider_credentials
       UNION ALL SELECT key_version FROM webhooks) sealed
     GROUP BY key_version ORDER BY key_version`,
  );
  return Object.fromEntries(rows.map((row) => [row.key_version, Number(row.count)]));
}

/**
 * Re-wraps every data key still sealed by an older master key with the current one, in batches
 * that each commit on their own: stopping half-way leaves every row readable (each is on one
 * version or the other), and running again resumes where it stopped. Only the small wrapped data
 * key changes; the secrets' ciphertexts are untouched.
 */
export interface RotationResult {
  rewrapped: number;
  /** Credentials that could not be opened with the configured keys, left as they were. */
  failed: string[];
}

export async function rotateMasterKey(
  dataSource: DataSource,
  keys: MasterKeys,
  options: { batchSize?: number; maxBatches?: number; onBatch?: (done: number) => void } = {},
): Promise<RotationResult> {
  const batchSize = options.batchSize ?? 100;
  const result: RotationResult = { rewrapped: 0, failed: [] };
  // Walks ids in order, so a row that cannot be re-wrapped is reported once, not retried forever.
  let after = '';
  for (let batch = 0; options.maxBatches === undefined || batch < options.maxBatches; batch += 1) {
    const seen = await dataSource.transaction(async (manager) => {
      // SKIP LOCKED lets several rotations (or replicas) share the work without waiting.
      const rows: SealedRow[] = await manager.query(
        `SELECT id, user_id, provider, ciphertext, wrapped_key, key_version
           FROM provider_credentials
          WHERE key_version <> $1 AND id > $2
          ORDER BY id
          LIMIT $3
          FOR UPDATE SKIP LOCKED`,
        [keys.current, after, batchSize],
      );
      for (const row of rows) {
        const identity = { id: row.id, userId: row.user_id, provider: row.provider };
        const sealed = {
          ciphertext: row.ciphertext,
          wrappedKey: row.wrapped_key,
          keyVersion: row.key_version,
        };
        let next;
        try {
          next = rewrapSecret(sealed, aadOf(identity), keys);
        } catch {
          result.failed.push(row.id);
          continue;
        }
        await manager.query(
          'UPDATE provider_credentials SET wrapped_key = $2, key_version = $3 WHERE id = $1 AND key_version = $4',
          [row.id, next.wrappedKey, next.keyVersion, row.key_version],
        );
        result.rewrapped += 1;
      }
      return rows;
    });
    const last = seen[seen.length - 1];
    if (!last) break;
    after = last.id;
    options.onBatch?.(result.rewrapped);
  }
  await rewrapWebhookSecrets(dataSource, keys, batchSize, result);
  return result;
}

/** The same walk over webhook signing secrets (one per user, keyed by the user id). */
async function rewrapWebhookSecrets(
  dataSource: DataSource,
  keys: MasterKeys,
  batchSize: number,
  result: RotationResult,
): Promise<void> {
  let after = '';
  for (;;) {
    const seen = await dataSource.transaction(async (manager) => {
      const rows: {
        user_id: string;
        secret_ciphertext: Buffer;
        secret_wrapped_key: Buffer;
        key_version: string;
      }[] = await manager.query(
        `SELECT user_id, secret_ciphertext, secret_wrapped_key, key_version
           FROM webhooks
          WHERE key_version <> $1 AND user_id > $2
          ORDER BY user_id
          LIMIT $3
          FOR UPDATE SKIP LOCKED`,
        [keys.current, after, batchSize],
      );
      for (const row of rows) {
        const sealed = {
          ciphertext: Buffer.from(row.secret_ciphertext),
          wrappedKey: Buffer.from(row.secret_wrapped_key),
          keyVersion: row.key_version,
        };
        let next;
        try {
          next = rewrapSecret(sealed, webhookSecretAad(row.user_id), keys);
        } catch {
          result.failed.push(`webhook of ${row.user_id}`);
          continue;
        }
        await manager.query(
          `UPDATE webhooks SET secret_wrapped_key = $2, key_version = $3
            WHERE user_id = $1 AND key_version = $4`,
          [row.user_id, next.wrappedKey, next.keyVersion, row.key_version],
        );
        result.rewrapped += 1;
      }
      return rows;
    });
    const last = seen[seen.length - 1];
    if (!last) return;
    after = last.user_id;
  }
}

/** Versions that credentials use but the configuration does not provide. */
export async function missingKeyVersions(
  dataSource: DataSource,
  keys: MasterKeys,
): Promise<string[]> {
  return Object.keys(await countByKeyVersion(dataSource)).filter((version) => !keys.keys[version]);
}
