import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The columns of `connections` that its JSON shows, `last_used_at` aside: setting any of them rewrites the JSON. */
const SHOWN_COLUMNS = `"id", "customer_id", "provider", "name", "auth_type", "status", "error_message", "scopes", "metadata_json", "expires_at", "created_at", "updated_at"`;

/**
 * Each connection's JSON as the API shows it, kept ready so that a page of 100 is a concatenation and
 * not 100 objects and 400 timestamps built on every read (see `ConnectionReads`):
 * - `connections.json_head` and `json_tail`, written by a row trigger whenever a shown column is set.
 *   `last_used_at` is left out and spliced in at read time: it is written in batches on the fetch's hot
 *   path, which must not rebuild JSON.
 * - `connection_grant_lists`, a connection's grants as a JSON array, rebuilt by statement triggers on
 *   `grants` for the connections a statement touched. Two transactions granting the same connection
 *   are serialised on its list's row: each takes the row's lock first, then rebuilds it in a second
 *   statement, whose new snapshot (READ COMMITTED) sees the other's committed grants. The list has no
 *   foreign key to `connections`, so that deleting a connection locks the connection, then its grants,
 *   then the list, in the order an instance's deletion locks grants, then lists: no deadlock.
 */
export class ConnectionJson1796151206399 implements MigrationInterface {
  name = 'ConnectionJson1796151206399';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "connection_grant_lists" ("connection_id" uuid NOT NULL, "grants" text NOT NULL, CONSTRAINT "PK_2a7300f5c8c553e08a03b78495b" PRIMARY KEY ("connection_id"))`);
    await queryRunner.query(`ALTER TABLE "connections" ADD "json_head" text`);
    await queryRunner.query(`ALTER TABLE "connections" ADD "json_tail" text`);

    // A timestamp as the API writes it, what `Date#toISOString` gives: "2026-01-02T03:04:05.678Z", or null.
    // One SELECT expression, so that the planner inlines it into the queries that call it.
    await queryRunner.query(`CREATE FUNCTION "api_timestamp_json"("t" timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
      SELECT COALESCE('"' || to_char("t" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"', 'null')
    $$`);

    await queryRunner.query(`CREATE FUNCTION "connections_json"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW."json_head" := '{"id":' || to_json(NEW."id") || ',"customer_id":' || to_json(NEW."customer_id")
          || ',"provider":' || to_json(NEW."provider") || ',"name":' || to_json(NEW."name")
          || ',"auth_type":' || to_json(NEW."auth_type") || ',"status":' || to_json(NEW."status")
          || ',"error_message":' || COALESCE(to_json(NEW."error_message")::text, 'null')
          || ',"scopes":' || NEW."scopes"::text || ',"metadata_json":' || COALESCE(NEW."metadata_json"::text, 'null')
          || ',"expires_at":' || "api_timestamp_json"(NEW."expires_at") || ',"last_used_at":';
        NEW."json_tail" := ',"created_at":' || "api_timestamp_json"(NEW."created_at")
          || ',"updated_at":' || "api_timestamp_json"(NEW."updated_at") || ',"grants":';
        RETURN NEW;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "connections_json" BEFORE INSERT OR UPDATE OF ${SHOWN_COLUMNS} ON "connections" FOR EACH ROW EXECUTE FUNCTION "connections_json"()`);

    await queryRunner.query(`CREATE FUNCTION "refresh_connection_grant_lists"("connection_ids" uuid[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        -- One writer at a time per list: take the lock of each list's row, creating it if need be, in id order.
        INSERT INTO "connection_grant_lists" AS l ("connection_id", "grants")
          SELECT DISTINCT "id", '[]' FROM unnest("connection_ids") AS "id" ORDER BY "id"
          ON CONFLICT ("connection_id") DO UPDATE SET "grants" = l."grants";
        -- New statements, new snapshots: whoever held these rows before has committed by now.
        UPDATE "connection_grant_lists" AS l SET "grants" = g."grants"
          FROM (SELECT "connection_id", '[' || string_agg('{"id":' || to_json("id") || ',"connection_id":' || to_json("connection_id")
                         || ',"instance_id":' || to_json("instance_id") || ',"capabilities":' || "capabilities"::text
                         || ',"granted_at":' || "api_timestamp_json"("granted_at") || '}', ',' ORDER BY "granted_at", "id") || ']' AS "grants"
                  FROM "grants" WHERE "connection_id" = ANY ("connection_ids") GROUP BY "connection_id") AS g
         WHERE l."connection_id" = g."connection_id";
        DELETE FROM "connection_grant_lists" AS l
         WHERE l."connection_id" = ANY ("connection_ids") AND NOT EXISTS (SELECT 1 FROM "grants" g WHERE g."connection_id" = l."connection_id");
      END $$`);
    await queryRunner.query(`CREATE FUNCTION "grants_inserted_lists"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM "refresh_connection_grant_lists"(ARRAY(SELECT "connection_id" FROM "inserted_grants"));
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE FUNCTION "grants_deleted_lists"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM "refresh_connection_grant_lists"(ARRAY(SELECT "connection_id" FROM "deleted_grants"));
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE FUNCTION "grants_updated_lists"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM "refresh_connection_grant_lists"(ARRAY(SELECT "connection_id" FROM "old_grants" UNION SELECT "connection_id" FROM "new_grants"));
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE FUNCTION "grants_truncated_lists"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        TRUNCATE "connection_grant_lists";
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "grants_inserted_lists" AFTER INSERT ON "grants" REFERENCING NEW TABLE AS "inserted_grants" FOR EACH STATEMENT EXECUTE FUNCTION "grants_inserted_lists"()`);
    await queryRunner.query(`CREATE TRIGGER "grants_deleted_lists" AFTER DELETE ON "grants" REFERENCING OLD TABLE AS "deleted_grants" FOR EACH STATEMENT EXECUTE FUNCTION "grants_deleted_lists"()`);
    await queryRunner.query(`CREATE TRIGGER "grants_updated_lists" AFTER UPDATE ON "grants" REFERENCING OLD TABLE AS "old_grants" NEW TABLE AS "new_grants" FOR EACH STATEMENT EXECUTE FUNCTION "grants_updated_lists"()`);
    await queryRunner.query(`CREATE TRIGGER "grants_truncated_lists" AFTER TRUNCATE ON "grants" FOR EACH STATEMENT EXECUTE FUNCTION "grants_truncated_lists"()`);

    // The rows there are: setting a shown column to itself fires the trigger, which writes their JSON.
    await queryRunner.query(`UPDATE "connections" SET "id" = "id"`);
    await queryRunner.query(`ALTER TABLE "connections" ALTER COLUMN "json_head" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "connections" ALTER COLUMN "json_tail" SET NOT NULL`);
    await queryRunner.query(`SELECT "refresh_connection_grant_lists"(ARRAY(SELECT DISTINCT "connection_id" FROM "grants"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "grants_truncated_lists" ON "grants"`);
    await queryRunner.query(`DROP TRIGGER "grants_updated_lists" ON "grants"`);
    await queryRunner.query(`DROP TRIGGER "grants_deleted_lists" ON "grants"`);
    await queryRunner.query(`DROP TRIGGER "grants_inserted_lists" ON "grants"`);
    await queryRunner.query(`DROP FUNCTION "grants_truncated_lists"()`);
    await queryRunner.query(`DROP FUNCTION "grants_updated_lists"()`);
    await queryRunner.query(`DROP FUNCTION "grants_deleted_lists"()`);
    await queryRunner.query(`DROP FUNCTION "grants_inserted_lists"()`);
    await queryRunner.query(`DROP FUNCTION "refresh_connection_grant_lists"(uuid[])`);
    await queryRunner.query(`DROP TRIGGER "connections_json" ON "connections"`);
    await queryRunner.query(`DROP FUNCTION "connections_json"()`);
    await queryRunner.query(`DROP FUNCTION "api_timestamp_json"(timestamptz)`);
    await queryRunner.query(`ALTER TABLE "connections" DROP COLUMN "json_tail"`);
    await queryRunner.query(`ALTER TABLE "connections" DROP COLUMN "json_head"`);
    await queryRunner.query(`DROP TABLE "connection_grant_lists"`);
  }
}
