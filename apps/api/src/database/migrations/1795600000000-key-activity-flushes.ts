import type { MigrationInterface, QueryRunner } from 'typeorm';

export class KeyActivityFlushes1795600000000 implements MigrationInterface {
  name = 'KeyActivityFlushes1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per written batch of key activity: a batch re-sent after a write whose answer was
    // lost (it may have landed) finds its id here and adds nothing the second time.
    await queryRunner.query(`
      CREATE TABLE key_activity_flushes (
        id text PRIMARY KEY,
        written_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Each write forgets the ids older than a day: a range scan, never the whole table.
    await queryRunner.query(
      `CREATE INDEX key_activity_flushes_written_idx ON key_activity_flushes (written_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE key_activity_flushes`);
  }
}
