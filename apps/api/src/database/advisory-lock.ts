import type { DataSource } from 'typeorm';

/**
 * Runs `work` only if this process takes the session advisory lock `lockId`, on a connection of
 * its own held for the whole run; returns `whenTaken` when another replica holds it. For jobs
 * whose work spans many transactions; one transaction's work should use
 * `pg_try_advisory_xact_lock` instead, which ends with it.
 */
export async function withAdvisoryLock<T>(
  dataSource: DataSource,
  lockId: number,
  work: () => Promise<T>,
  whenTaken: T,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [lock] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [lockId])) as {
      locked: boolean;
    }[];
    if (!lock?.locked) return whenTaken;
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [lockId]);
    }
  } finally {
    await runner.release();
  }
}
