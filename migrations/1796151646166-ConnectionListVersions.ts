import type { MigrationInterface, QueryRunner } from 'typeorm';

/** As in the migration ConnectionJson: the columns of `connections` that a list shows, `last_used_at` aside. */
const SHOWN_COLUMNS = `"id", "customer_id", "provider", "name", "auth_type", "status", "error_message", "scopes", "metadata_json", "expires_at", "created_at", "updated_at"`;

/** The functions of the triggers that keep `customer_connection_counts` (migration AddConnectionCounts), with what each sets. */
function countsFunctions(inserted: string, deleted: string): string {
  return `CREATE OR REPLACE FUNCTION "connections_count_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO "customer_connection_counts" AS t ("customer_id", "connections")
          SELECT "customer_id", count(*) FROM "inserted_connections" GROUP BY "customer_id"
          ON CONFLICT ("customer_id") DO UPDATE SET ${inserted};
        RETURN NULL;
      END $$;
    CREATE OR REPLACE FUNCTION "connections_count_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE "customer_connection_counts" AS t SET ${deleted}
          FROM (SELECT "customer_id", count(*) AS "n" FROM "deleted_connections" GROUP BY "customer_id") AS d
         WHERE t."customer_id" = d."customer_id";
        RETURN NULL;
      END $$`;
}

/**
 * `customer_connection_counts.version`: moves on with every change a list of the customer's
 * connections shows, but `last_used_at` (written in batches by the fetch's hot path), so that a page
 * built at one version can be served again while the version stays (see `ConnectionReads`).
 *
 * Inserts and deletes move it where the counts are kept. Updates and grants have triggers of their own,
 * the grants' named to fire after the ones that keep the grant lists (PostgreSQL fires triggers of one
 * kind in name order): the customer's row is then locked last, after the connection, grant and list
 * rows, in the same order by every writer.
 */
export class ConnectionListVersions1796151646166 implements MigrationInterface {
  name = 'ConnectionListVersions1796151646166';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "customer_connection_counts" ADD "version" bigint NOT NULL DEFAULT '0'`);
    await queryRunner.query(`CREATE FUNCTION "bump_connection_list_versions"("customer_ids" uuid[]) RETURNS void LANGUAGE sql AS $$
      UPDATE "customer_connection_counts" SET "version" = "version" + 1 WHERE "customer_id" = ANY ("customer_ids")
    $$`);
    // Connections inserted or deleted: the statement triggers that keep the counts move the version in
    // the same write of the customer's row, not a second write by a trigger of its own.
    await queryRunner.query(countsFunctions('"connections" = t."connections" + EXCLUDED."connections", "version" = t."version" + 1', '"connections" = t."connections" - d."n", "version" = t."version" + 1'));
    // A shown column set.
    await queryRunner.query(`CREATE FUNCTION "connections_version_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM "bump_connection_list_versions"(ARRAY[OLD."customer_id", NEW."customer_id"]);
        RETURN NULL;
      END $$`);
    // A column list rules out transition tables, hence a row trigger: a PATCH is one row.
    await queryRunner.query(`CREATE TRIGGER "connections_version_updated" AFTER UPDATE OF ${SHOWN_COLUMNS} ON "connections" FOR EACH ROW EXECUTE FUNCTION "connections_version_updated"()`);

    // Grants: the customers of the connections a statement granted or revoked. A connection deleted
    // with its grants is already gone here; its deletion bumps its customer.
    const grantsCustomers = (changed: string) => `ARRAY(SELECT DISTINCT c."customer_id" FROM "connections" c WHERE c."id" IN (${changed}) ORDER BY 1)`;
    await queryRunner.query(`CREATE FUNCTION "grants_version_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM "bump_connection_list_versions"(${grantsCustomers(`SELECT "connection_id" FROM "inserted_grants"`)});
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE FUNCTION "grants_version_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM "bump_connection_list_versions"(${grantsCustomers(`SELECT "connection_id" FROM "deleted_grants"`)});
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE FUNCTION "grants_version_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM "bump_connection_list_versions"(${grantsCustomers(`SELECT "connection_id" FROM "old_grants" UNION SELECT "connection_id" FROM "new_grants"`)});
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "grants_version_inserted" AFTER INSERT ON "grants" REFERENCING NEW TABLE AS "inserted_grants" FOR EACH STATEMENT EXECUTE FUNCTION "grants_version_inserted"()`);
    await queryRunner.query(`CREATE TRIGGER "grants_version_deleted" AFTER DELETE ON "grants" REFERENCING OLD TABLE AS "deleted_grants" FOR EACH STATEMENT EXECUTE FUNCTION "grants_version_deleted"()`);
    await queryRunner.query(`CREATE TRIGGER "grants_version_updated" AFTER UPDATE ON "grants" REFERENCING OLD TABLE AS "old_grants" NEW TABLE AS "new_grants" FOR EACH STATEMENT EXECUTE FUNCTION "grants_version_updated"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, event] of [['grants', 'updated'], ['grants', 'deleted'], ['grants', 'inserted'], ['connections', 'updated']]) {
      await queryRunner.query(`DROP TRIGGER "${table}_version_${event}" ON "${table}"`);
      await queryRunner.query(`DROP FUNCTION "${table}_version_${event}"()`);
    }
    // As the migration AddConnectionCounts wrote them.
    await queryRunner.query(countsFunctions('"connections" = t."connections" + EXCLUDED."connections"', '"connections" = t."connections" - d."n"'));
    await queryRunner.query(`DROP FUNCTION "bump_connection_list_versions"(uuid[])`);
    await queryRunner.query(`ALTER TABLE "customer_connection_counts" DROP COLUMN "version"`);
  }
}
