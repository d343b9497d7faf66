import type { MigrationInterface, QueryRunner } from 'typeorm';

export class UpgradeRequestsSuperseded1795800000000 implements MigrationInterface {
  name = 'UpgradeRequestsSuperseded1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A pending request an admin's direct plan change made moot (UpgradeRequestsService).
    await queryRunner.query(`
      ALTER TABLE plan_upgrade_requests
        DROP CONSTRAINT plan_upgrade_requests_status_check,
        ADD CONSTRAINT plan_upgrade_requests_status_check
          CHECK (status IN ('pending', 'approved', 'declined', 'superseded'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The nearest status the older schema has: the request was not granted.
    await queryRunner.query(
      `UPDATE plan_upgrade_requests SET status = 'declined' WHERE status = 'superseded'`,
    );
    await queryRunner.query(`
      ALTER TABLE plan_upgrade_requests
        DROP CONSTRAINT plan_upgrade_requests_status_check,
        ADD CONSTRAINT plan_upgrade_requests_status_check
          CHECK (status IN ('pending', 'approved', 'declined'))`);
  }
}
