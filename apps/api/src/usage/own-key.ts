import type { DataSource } from 'typeorm';
import { notFound } from '../common/app.exception.js';

/**
 * A key filter must name one of the caller's own keys: another user's key id answers 404, as
 * everywhere else, rather than an empty result that would confirm nothing but look like success.
 */
export async function assertOwnKey(
  dataSource: DataSource,
  userId: string,
  keyId: string,
): Promise<void> {
  const rows: unknown[] = await dataSource.query(
    'SELECT 1 FROM api_keys WHERE id = $1 AND user_id = $2',
    [keyId, userId],
  );
  if (rows.length === 0) throw notFound('API key');
}
