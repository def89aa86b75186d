import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on every page of `connections` for a second version of its rows: the batched `last_used_at`
 * writes then stay HOT updates (same page, no index entries), instead of moving each row and adding an
 * entry to each of its four indexes. Applies to pages written from now on.
 */
export class ConnectionsFillfactor1795620099313 implements MigrationInterface {
  name = 'ConnectionsFillfactor1795620099313';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "connections" SET (fillfactor = 80)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "connections" RESET (fillfactor)`);
  }
}
