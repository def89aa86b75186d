import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795616203358 implements MigrationInterface {
  name = 'Initial1795616203358';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "customers" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(255) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_133ec679a801fab5e070f73d3ea" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_customers_created_at_id" ON "customers" ("created_at", "id")`);
    await queryRunner.query(`CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "customer_id" uuid NOT NULL, "name" character varying(255), "prefix" character varying(16) NOT NULL, "key_hash" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_api_keys_key_hash" ON "api_keys" ("key_hash")`);
    await queryRunner.query(`CREATE INDEX "IDX_api_keys_customer_created_at_id" ON "api_keys" ("customer_id", "created_at", "id")`);
    await queryRunner.query(`CREATE TABLE "connections" ("id" uuid NOT NULL, "customer_id" uuid NOT NULL, "provider" character varying(50) NOT NULL, "name" character varying(255) NOT NULL, "auth_type" character varying(16) NOT NULL, "status" character varying(32) NOT NULL DEFAULT 'active', "error_message" text, "scopes" jsonb NOT NULL, "metadata_json" jsonb, "expires_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "credentials_ciphertext" bytea NOT NULL, "credentials_nonce" bytea NOT NULL, "wrapped_data_key" bytea NOT NULL, "key_id" character varying(64) NOT NULL, CONSTRAINT "CHK_connections_auth_type" CHECK ("auth_type" IN ('oauth2', 'api_key', 'basic')), CONSTRAINT "PK_0a1f844af3122354cbd487a8d03" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_connections_key_id" ON "connections" ("key_id")`);
    await queryRunner.query(`CREATE INDEX "IDX_connections_customer_created_at_id" ON "connections" ("customer_id", "created_at", "id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_connections_customer_provider_name" ON "connections" ("customer_id", "provider", "name")`);
    await queryRunner.query(`CREATE TABLE "instances" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "customer_id" uuid NOT NULL, "name" character varying(255) NOT NULL, "proxy_key_hash" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_11862209053330b4765f7f54178" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_instances_proxy_key_hash" ON "instances" ("proxy_key_hash")`);
    await queryRunner.query(`CREATE INDEX "IDX_instances_customer_created_at_id" ON "instances" ("customer_id", "created_at", "id")`);
    await queryRunner.query(`CREATE TABLE "grants" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "connection_id" uuid NOT NULL, "instance_id" uuid NOT NULL, "capabilities" jsonb NOT NULL, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a25f5f89eff8b3277f7969b7094" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_grants_instance" ON "grants" ("instance_id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_grants_connection_instance" ON "grants" ("connection_id", "instance_id")`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD CONSTRAINT "FK_api_keys_customer" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "connections" ADD CONSTRAINT "FK_connections_customer" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "instances" ADD CONSTRAINT "FK_instances_customer" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "grants" ADD CONSTRAINT "FK_grants_connection" FOREIGN KEY ("connection_id") REFERENCES "connections"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "grants" ADD CONSTRAINT "FK_grants_instance" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "grants" DROP CONSTRAINT "FK_grants_instance"`);
    await queryRunner.query(`ALTER TABLE "grants" DROP CONSTRAINT "FK_grants_connection"`);
    await queryRunner.query(`ALTER TABLE "instances" DROP CONSTRAINT "FK_instances_customer"`);
    await queryRunner.query(`ALTER TABLE "connections" DROP CONSTRAINT "FK_connections_customer"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "FK_api_keys_customer"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_grants_connection_instance"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_grants_instance"`);
    await queryRunner.query(`DROP TABLE "grants"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_instances_customer_created_at_id"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_instances_proxy_key_hash"`);
    await queryRunner.query(`DROP TABLE "instances"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_connections_customer_provider_name"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_connections_customer_created_at_id"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_connections_key_id"`);
    await queryRunner.query(`DROP TABLE "connections"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_api_keys_customer_created_at_id"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_api_keys_key_hash"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_customers_created_at_id"`);
    await queryRunner.query(`DROP TABLE "customers"`);
  }
}
