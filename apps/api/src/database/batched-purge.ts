import type { DataSource } from 'typeorm';

/** Rows per delete: short transactions that never hold many locks or stall the writers. */
const PURGE_BATCH = 5_000;
/** A breather between batches, so a large first purge leaves room for the request path. */
const BATCH_PAUSE_MS = 50;

export interface BatchedPurge {
  /** One replica purges at a time; the others find the lock taken and leave it to that one. */
  lockId: number;
  /**
   * Deletes at most `limit` rows (its last parameter, after `parameters`) and returns them; e.g.
   * `DELETE FROM t WHERE id IN (SELECT id FROM t WHERE … LIMIT $2) RETURNING 1`.
   */
  deleteSql: string;
  parameters: unknown[];
  /** Read before each batch, so a shutdown that began meanwhile waits for one delete at most. */
  isStopping: () => boolean;
}

/**
 * Deletes in batches until nothing is left; returns how many rows went, or null when another
 * replica holds the lock. The lock is taken per batch transaction and released with it, so a
 * replica that dies mid-purge never leaves it held.
 */
export async function purgeInBatches(
  dataSource: DataSource,
  purge: BatchedPurge,
): Promise<number | null> {
  let purged = 0;
  while (!purge.isStopping()) {
    const deleted = await dataSource.transaction(async (manager) => {
      const [lock] = await manager.query<{ locked: boolean }[]>(
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [purge.lockId],
      );
      if (!lock?.locked) return null;
      const [row] = await manager.query<{ deleted: string }[]>(
        `WITH gone AS (${purge.deleteSql}) SELECT count(*) AS deleted FROM gone`,
        [...purge.parameters, PURGE_BATCH],
      );
      return Number(row?.deleted ?? 0);
    });
    if (deleted === null) return purged > 0 ? purged : null;
    purged += deleted;
    if (deleted < PURGE_BATCH) break;
    await new Promise((resolve) => setTimeout(resolve, BATCH_PAUSE_MS));
  }
  return purged;
}
