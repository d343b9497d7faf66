import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Before an admin's plan change settled the user's pending plan request (UpgradeRequestsService
 * `settleByPlanChange`), such a request stayed pending though it no longer applied. Settled here
 * the same way: approved when the user is now on the plan asked for, superseded otherwise. No
 * one decided them, so `decided_by` stays empty, and no notification is sent for them.
 */
export class SettleMootUpgradeRequests1795900000000 implements MigrationInterface {
  name = 'SettleMootUpgradeRequests1795900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      UPDATE plan_upgrade_requests AS r
         SET status = CASE WHEN u.plan_id = r.to_plan_id THEN 'approved' ELSE 'superseded' END,
             decided_at = now()
        FROM users AS u
       WHERE u.id = r.user_id AND r.status = 'pending' AND u.plan_id <> r.from_plan_id`);
  }

  async down(): Promise<void> {
    // Nothing to undo: reopened, these requests could be approved over a later plan change.
  }
}
