import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ProviderVault1795322849000 implements MigrationInterface {
  name = 'ProviderVault1795322849000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE provider_credentials (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        provider text NOT NULL,
        name text NOT NULL,
        masked_key text NOT NULL,
        ciphertext bytea NOT NULL,
        wrapped_key bytea NOT NULL,
        key_version text NOT NULL,
        status text NOT NULL CHECK (status IN ('unverified', 'valid', 'invalid', 'insufficient_quota', 'rate_limited', 'error')),
        last_verified_at timestamptz,
        last_error text,
        last_http_status integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX provider_credentials_user_idx ON provider_credentials (user_id, provider)`,
    );
    await queryRunner.query(
      `CREATE INDEX provider_credentials_key_version_idx ON provider_credentials (key_version, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX provider_credentials_verified_idx ON provider_credentials (last_verified_at)`,
    );

    await queryRunner.query(`
      CREATE TABLE provider_preferences (
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        capability text NOT NULL,
        provider_order text[] NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, capability)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE provider_preferences`);
    await queryRunner.query(`DROP TABLE provider_credentials`);
  }
}
