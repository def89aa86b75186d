import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddConnectionCounts1795617858694 implements MigrationInterface {
  name = 'AddConnectionCounts1795617858694';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "customer_connection_counts" ("customer_id" uuid NOT NULL, "connections" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_02772caf3f094d636591c3d2aaf" PRIMARY KEY ("customer_id"))`);
    await queryRunner.query(`ALTER TABLE "customer_connection_counts" ADD CONSTRAINT "FK_customer_connection_counts_customer" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // Kept by statement-level triggers: one upsert per statement and customer, also for bulk inserts.
    await queryRunner.query(`CREATE FUNCTION "connections_count_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO "customer_connection_counts" AS t ("customer_id", "connections")
          SELECT "customer_id", count(*) FROM "inserted_connections" GROUP BY "customer_id"
          ON CONFLICT ("customer_id") DO UPDATE SET "connections" = t."connections" + EXCLUDED."connections";
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE FUNCTION "connections_count_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE "customer_connection_counts" AS t SET "connections" = t."connections" - d."n"
          FROM (SELECT "customer_id", count(*) AS "n" FROM "deleted_connections" GROUP BY "customer_id") AS d
         WHERE t."customer_id" = d."customer_id";
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "connections_count_inserted" AFTER INSERT ON "connections" REFERENCING NEW TABLE AS "inserted_connections" FOR EACH STATEMENT EXECUTE FUNCTION "connections_count_inserted"()`);
    await queryRunner.query(`CREATE TRIGGER "connections_count_deleted" AFTER DELETE ON "connections" REFERENCING OLD TABLE AS "deleted_connections" FOR EACH STATEMENT EXECUTE FUNCTION "connections_count_deleted"()`);
    await queryRunner.query(`INSERT INTO "customer_connection_counts" ("customer_id", "connections") SELECT "customer_id", count(*) FROM "connections" GROUP BY "customer_id"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "connections_count_deleted" ON "connections"`);
    await queryRunner.query(`DROP TRIGGER "connections_count_inserted" ON "connections"`);
    await queryRunner.query(`DROP FUNCTION "connections_count_deleted"()`);
    await queryRunner.query(`DROP FUNCTION "connections_count_inserted"()`);
    await queryRunner.query(`ALTER TABLE "customer_connection_counts" DROP CONSTRAINT "FK_customer_connection_counts_customer"`);
    await queryRunner.query(`DROP TABLE "customer_connection_counts"`);
  }
}
