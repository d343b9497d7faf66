import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeysAndAudit1795321598000 implements MigrationInterface {
  name = 'ApiKeysAndAudit1795321598000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        prefix text NOT NULL,
        scopes text[] NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz,
        rate_limit integer NOT NULL CHECK (rate_limit BETWEEN 1 AND 10000),
        rate_window_seconds integer NOT NULL CHECK (rate_window_seconds BETWEEN 1 AND 86400),
        allowed_models text[] NOT NULL DEFAULT '{}',
        metadata jsonb NOT NULL DEFAULT '{}',
        on_leak text NOT NULL DEFAULT 'revoke' CHECK (on_leak IN ('revoke', 'flag')),
        display_start text NOT NULL,
        display_end text NOT NULL,
        last_used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX api_keys_user_id_created_idx ON api_keys (user_id, created_at DESC)`,
    );

    await queryRunner.query(`
      CREATE TABLE api_key_secrets (
        id text PRIMARY KEY,
        key_id text NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
        key_hash text NOT NULL,
        display_start text NOT NULL,
        display_end text NOT NULL,
        expires_at timestamptz,
        last_used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX api_key_secrets_key_hash_key ON api_key_secrets (key_hash)`,
    );
    await queryRunner.query(`CREATE INDEX api_key_secrets_key_id_idx ON api_key_secrets (key_id)`);

    // Requests per key and day, kept by coalesced upserts (never one write per request).
    await queryRunner.query(`
      CREATE TABLE api_key_daily_usage (
        key_id text NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
        day date NOT NULL,
        requests bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (key_id, day)
      )`);

    await queryRunner.query(`
      CREATE TABLE audit_events (
        id text PRIMARY KEY,
        sequence bigint NOT NULL,
        action text NOT NULL,
        owner_user_id text,
        actor_user_id text,
        actor_key_id text,
        target_type text,
        target_id text,
        ip text,
        user_agent text,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX audit_events_sequence_key ON audit_events (sequence)`,
    );
    await queryRunner.query(
      `CREATE INDEX audit_events_owner_idx ON audit_events (owner_user_id, sequence DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX audit_events_action_idx ON audit_events (action, sequence DESC)`,
    );

    await queryRunner.query(`
      CREATE TABLE notifications (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        data jsonb NOT NULL DEFAULT '{}',
        read_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE notifications`);
    await queryRunner.query(`DROP TABLE audit_events`);
    await queryRunner.query(`DROP TABLE api_key_daily_usage`);
    await queryRunner.query(`DROP TABLE api_key_secrets`);
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}
