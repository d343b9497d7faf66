import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AlertsWebhooks1795500000000 implements MigrationInterface {
  name = 'AlertsWebhooks1795500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One naming convention for every notification kind (snake_case, like the first ones), so
    // the console and webhook receivers can switch on them.
    await queryRunner.query(`
      UPDATE notifications SET kind = CASE kind
        WHEN 'quota.threshold' THEN 'quota_threshold'
        WHEN 'budget.threshold' THEN 'budget_threshold'
        WHEN 'plan.upgrade_decided' THEN 'plan_upgrade_decided'
      END
      WHERE kind IN ('quota.threshold', 'budget.threshold', 'plan.upgrade_decided')`);
    // The alerts job looks for live keys expiring within days; this keeps that a range scan.
    await queryRunner.query(
      `CREATE INDEX api_keys_expiring_idx ON api_keys (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL`,
    );
    // The console lists a user's recent deliveries.
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_user_idx ON webhook_deliveries (user_id, created_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX webhook_deliveries_user_idx`);
    await queryRunner.query(`DROP INDEX api_keys_expiring_idx`);
    await queryRunner.query(`
      UPDATE notifications SET kind = CASE kind
        WHEN 'quota_threshold' THEN 'quota.threshold'
        WHEN 'budget_threshold' THEN 'budget.threshold'
        WHEN 'plan_upgrade_decided' THEN 'plan.upgrade_decided'
      END
      WHERE kind IN ('quota_threshold', 'budget_threshold', 'plan_upgrade_decided')`);
  }
}
