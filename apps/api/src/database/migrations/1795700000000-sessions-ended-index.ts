import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionsEndedIndex1795700000000 implements MigrationInterface {
  name = 'SessionsEndedIndex1795700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // When a session ended: its expiry, or its sign-out if that came first. The daily purge
    // (SessionPurgeJob) reads its batches from this index instead of scanning every session.
    await queryRunner.query(
      `CREATE INDEX sessions_ended_at_idx ON sessions (LEAST(expires_at, revoked_at))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX sessions_ended_at_idx`);
  }
}
