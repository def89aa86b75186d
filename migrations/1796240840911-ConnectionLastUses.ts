import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `last_used_at` of connections moves out of their rows into `connection_last_uses`, a row per
 * connection of about 50 bytes. At a million connections, nearly every fetch writes a different row
 * ~2 s later. In `connections` (about a kilobyte a row, 870 MB of pages, more than the buffer cache),
 * each such write dirtied a page of its own and, after each checkpoint, wrote that whole page to the
 * WAL. Here some 125 rows share a page (fillfactor 80, for HOT updates) and the table and its index
 * stay in memory (docs/performance.md).
 *
 * A statement trigger gives every new connection its row, so that the writes are plain UPDATEs; the
 * foreign key takes the row with its connection.
 */
export class ConnectionLastUses1796240840911 implements MigrationInterface {
  name = 'ConnectionLastUses1796240840911';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "connection_last_uses" ("connection_id" uuid NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_eaea3af531b1891c8a844abedab" PRIMARY KEY ("connection_id")) WITH (fillfactor = 80)`,
    );
    await queryRunner.query(`INSERT INTO "connection_last_uses" ("connection_id", "last_used_at") SELECT "id", "last_used_at" FROM "connections"`);
    await queryRunner.query(`ALTER TABLE "connections" DROP COLUMN "last_used_at"`);
    await queryRunner.query(`ALTER TABLE "connection_last_uses" ADD CONSTRAINT "FK_connection_last_uses_connection" FOREIGN KEY ("connection_id") REFERENCES "connections"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`CREATE FUNCTION "connections_last_uses_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO "connection_last_uses" ("connection_id") SELECT "id" FROM "inserted_connections";
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "connections_last_uses_inserted" AFTER INSERT ON "connections" REFERENCING NEW TABLE AS "inserted_connections" FOR EACH STATEMENT EXECUTE FUNCTION "connections_last_uses_inserted"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "connections_last_uses_inserted" ON "connections"`);
    await queryRunner.query(`DROP FUNCTION "connections_last_uses_inserted"()`);
    await queryRunner.query(`ALTER TABLE "connections" ADD "last_used_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`UPDATE "connections" c SET "last_used_at" = u."last_used_at" FROM "connection_last_uses" u WHERE u."connection_id" = c."id" AND u."last_used_at" IS NOT NULL`);
    await queryRunner.query(`DROP TABLE "connection_last_uses"`);
  }
}
