import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `grants.provider`: the provider of the granted connection, kept beside the grant so that the
 * runtime fetch finds an instance's grant of a provider by index, `(instance_id, provider)`, and reads
 * the one connection it names. Before, the fetch read the customer's connections of that provider
 * and probed each for a grant: as many probes as the customer had connections of that provider.
 *
 * The column is PostgreSQL's to keep, not the callers': a trigger copies it from the connection on
 * every insert (an insert naming a connection that does not exist fails as the foreign key would),
 * and a connection's provider, which no route changes, is carried to its grants if it ever changes.
 * The index replaces `IDX_grants_instance`, whose lookups by `instance_id` it serves as well.
 */
export class GrantsProvider1796160000000 implements MigrationInterface {
  name = 'GrantsProvider1796160000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "grants" ADD "provider" character varying(50)`);
    // Dropped first: one index fewer for the rewrite below to write into.
    await queryRunner.query(`DROP INDEX "public"."IDX_grants_instance"`);
    // The grants' own triggers keep the grant lists and the list versions; a provider is in neither.
    await queryRunner.query(`ALTER TABLE "grants" DISABLE TRIGGER USER`);
    await queryRunner.query(`UPDATE "grants" AS g SET "provider" = c."provider" FROM "connections" AS c WHERE c."id" = g."connection_id"`);
    await queryRunner.query(`ALTER TABLE "grants" ENABLE TRIGGER USER`);
    await queryRunner.query(`ALTER TABLE "grants" ALTER COLUMN "provider" SET NOT NULL`);
    await queryRunner.query(`CREATE INDEX "IDX_grants_instance_provider" ON "grants" ("instance_id", "provider")`);

    await queryRunner.query(`CREATE FUNCTION "grants_provider"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        SELECT c."provider" INTO NEW."provider" FROM "connections" AS c WHERE c."id" = NEW."connection_id";
        IF NOT FOUND THEN
          RAISE EXCEPTION 'insert or update on table "grants" violates foreign key constraint "FK_grants_connection"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'FK_grants_connection', TABLE = 'grants';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "grants_provider" BEFORE INSERT OR UPDATE OF "connection_id", "provider" ON "grants" FOR EACH ROW EXECUTE FUNCTION "grants_provider"()`);
    await queryRunner.query(`CREATE FUNCTION "connections_provider_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE "grants" SET "provider" = NEW."provider" WHERE "connection_id" = NEW."id";
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "connections_provider_updated" AFTER UPDATE OF "provider" ON "connections" FOR EACH ROW WHEN (OLD."provider" IS DISTINCT FROM NEW."provider") EXECUTE FUNCTION "connections_provider_updated"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "connections_provider_updated" ON "connections"`);
    await queryRunner.query(`DROP FUNCTION "connections_provider_updated"()`);
    await queryRunner.query(`DROP TRIGGER "grants_provider" ON "grants"`);
    await queryRunner.query(`DROP FUNCTION "grants_provider"()`);
    await queryRunner.query(`DROP INDEX "public"."IDX_grants_instance_provider"`);
    await queryRunner.query(`CREATE INDEX "IDX_grants_instance" ON "grants" ("instance_id")`);
    await queryRunner.query(`ALTER TABLE "grants" DROP COLUMN "provider"`);
  }
}
