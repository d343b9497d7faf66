import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Plans can be retired rather than deleted: users' past plan requests and audit entries still
 * name them (plan_upgrade_requests references plans), so the row stays and is marked.
 */
export class RetiredPlans1796000000000 implements MigrationInterface {
  name = 'RetiredPlans1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE plans ADD COLUMN retired_at timestamptz');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE plans DROP COLUMN retired_at');
  }
}
