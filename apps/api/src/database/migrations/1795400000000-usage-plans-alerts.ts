import type { MigrationInterface, QueryRunner } from 'typeorm';

export class UsagePlansAlerts1795400000000 implements MigrationInterface {
  name = 'UsagePlansAlerts1795400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Limits are monthly; null means unlimited. Money is integer micro-dollars everywhere.
    await queryRunner.query(`
      CREATE TABLE plans (
        id text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]{1,32}$'),
        name text NOT NULL,
        monthly_request_limit bigint CHECK (monthly_request_limit >= 0),
        monthly_cost_limit_micros bigint CHECK (monthly_cost_limit_micros >= 0),
        sort_order integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      INSERT INTO plans (id, name, monthly_request_limit, monthly_cost_limit_micros, sort_order) VALUES
        ('free', 'Free', 1000, 5000000, 0),
        ('pro', 'Pro', 100000, 200000000, 1),
        ('enterprise', 'Enterprise', NULL, NULL, 2)`);
    await queryRunner.query(
      `ALTER TABLE users ADD COLUMN plan_id text NOT NULL DEFAULT 'free' REFERENCES plans (id)`,
    );
    await queryRunner.query(
      `ALTER TABLE api_keys ADD COLUMN monthly_budget_micros bigint CHECK (monthly_budget_micros >= 0)`,
    );

    await queryRunner.query(`
      CREATE TABLE plan_upgrade_requests (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        from_plan_id text NOT NULL REFERENCES plans (id),
        to_plan_id text NOT NULL REFERENCES plans (id),
        message text,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'declined')),
        decided_by text REFERENCES users (id) ON DELETE SET NULL,
        decided_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX plan_upgrade_requests_status_idx ON plan_upgrade_requests (status, created_at DESC)`,
    );
    // One open request per user at a time.
    await queryRunner.query(
      `CREATE UNIQUE INDEX plan_upgrade_requests_pending_key ON plan_upgrade_requests (user_id) WHERE status = 'pending'`,
    );

    // Raw events: written in batches, never per request, purged after the retention period.
    // No foreign keys, so a batch never fails because a key or user changed meanwhile.
    await queryRunner.query(`
      CREATE TABLE usage_events (
        id text PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        user_id text NOT NULL,
        key_id text NOT NULL,
        route text NOT NULL,
        method text NOT NULL,
        status integer NOT NULL,
        success boolean NOT NULL,
        latency_ms integer NOT NULL,
        provider text,
        model text,
        input_tokens integer NOT NULL DEFAULT 0,
        output_tokens integer NOT NULL DEFAULT 0,
        cost_micros bigint NOT NULL DEFAULT 0,
        client_ip text,
        user_agent text,
        error_code text,
        attempts jsonb NOT NULL DEFAULT '[]',
        -- counted against the plan's monthly request limit (admitted generation requests)
        billable boolean NOT NULL DEFAULT false
      )`);
    await queryRunner.query(
      `CREATE INDEX usage_events_user_time_idx ON usage_events (user_id, occurred_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX usage_events_key_time_idx ON usage_events (key_id, occurred_at DESC)`,
    );
    await queryRunner.query(`CREATE INDEX usage_events_time_idx ON usage_events (occurred_at)`);

    // Daily rollups, maintained in the same statement that inserts the events, so analytics
    // never scan raw events. Model is '' for routes that use none.
    await queryRunner.query(`
      CREATE TABLE usage_daily (
        user_id text NOT NULL,
        day date NOT NULL,
        key_id text NOT NULL,
        route text NOT NULL,
        model text NOT NULL DEFAULT '',
        requests bigint NOT NULL DEFAULT 0,
        successes bigint NOT NULL DEFAULT 0,
        billable_requests bigint NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        cost_micros bigint NOT NULL DEFAULT 0,
        latency_ms_total bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day, key_id, route, model)
      )`);
    await queryRunner.query(`CREATE INDEX usage_daily_key_day_idx ON usage_daily (key_id, day)`);

    // Where a user's notifications are also POSTed; the signing secret is sealed like provider
    // credentials.
    await queryRunner.query(`
      CREATE TABLE webhooks (
        user_id text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        url text NOT NULL,
        secret_ciphertext bytea NOT NULL,
        secret_wrapped_key bytea NOT NULL,
        key_version text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // An outbox: a delivery row is written with its notification and retried until it lands.
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id text PRIMARY KEY,
        notification_id text NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_http_status integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
    );

    // Each alert threshold fires once per period: the first insert wins, later ones do nothing.
    await queryRunner.query(`
      CREATE TABLE alert_marks (
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        subject text NOT NULL,
        period text NOT NULL,
        threshold integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, subject, period, threshold)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE alert_marks`);
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhooks`);
    await queryRunner.query(`DROP TABLE usage_daily`);
    await queryRunner.query(`DROP TABLE usage_events`);
    await queryRunner.query(`DROP TABLE plan_upgrade_requests`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN monthly_budget_micros`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN plan_id`);
    await queryRunner.query(`DROP TABLE plans`);
  }
}
