import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OAuth2 apps (a customer's client per provider, its secret sealed) and the refresh state of
 * connections: the credentials' version for the compare-and-swap of a refresh, the lease of the replica
 * refreshing it, and the backoff. `has_refresh_token` is null for rows sealed before it existed; the
 * background refresher opens them and finds out.
 */
export class OAuthRefresh1796500000001 implements MigrationInterface {
  name = 'OAuthRefresh1796500000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "oauth_apps" ("id" uuid NOT NULL, "customer_id" uuid NOT NULL, "provider" character varying(50) NOT NULL, "client_id" character varying(1024) NOT NULL, "token_url" character varying(2048) NOT NULL, "auth_method" character varying(32) NOT NULL, "scopes" jsonb NOT NULL, "secret_ciphertext" bytea NOT NULL, "secret_nonce" bytea NOT NULL, "wrapped_data_key" bytea NOT NULL, "key_id" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "consecutive_failures" integer NOT NULL DEFAULT '0', "paused_until" TIMESTAMP WITH TIME ZONE, "probe_until" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_oauth_apps" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_oauth_apps_customer_provider" ON "oauth_apps" ("customer_id", "provider")`);
    await queryRunner.query(`CREATE INDEX "IDX_oauth_apps_customer_created_at_id" ON "oauth_apps" ("customer_id", "created_at", "id")`);
    await queryRunner.query(`CREATE INDEX "IDX_oauth_apps_key_id" ON "oauth_apps" ("key_id")`);
    await queryRunner.query(
      `ALTER TABLE "oauth_apps" ADD CONSTRAINT "FK_oauth_apps_customer" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`ALTER TABLE "connections" ADD "credentials_version" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "connections" ADD "has_refresh_token" boolean`);
    await queryRunner.query(`ALTER TABLE "connections" ADD "refresh_lease_owner" character varying(64)`);
    await queryRunner.query(`ALTER TABLE "connections" ADD "refresh_lease_expires_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "connections" ADD "refresh_failures" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "connections" ADD "next_refresh_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `CREATE INDEX "IDX_connections_refresh_due" ON "connections" ("expires_at") WHERE "auth_type" = 'oauth2' AND "has_refresh_token" IS NOT FALSE AND "status" IN ('active', 'error', 'expired')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_connections_refresh_due"`);
    for (const column of ['next_refresh_at', 'refresh_failures', 'refresh_lease_expires_at', 'refresh_lease_owner', 'has_refresh_token', 'credentials_version']) {
      await queryRunner.query(`ALTER TABLE "connections" DROP COLUMN "${column}"`);
    }
    await queryRunner.query(`DROP TABLE "oauth_apps"`);
  }
}
