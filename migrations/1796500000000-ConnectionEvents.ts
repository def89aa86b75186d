import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `connection_events`: the outbox of connection changes and lifecycle transitions, written in the
 * transaction of the change it reports (see `ConnectionEvents`). Webhook deliveries fan out from it.
 */
export class ConnectionEvents1796500000000 implements MigrationInterface {
  name = 'ConnectionEvents1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "connection_events" ("id" uuid NOT NULL, "seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "customer_id" uuid NOT NULL, "type" character varying(64) NOT NULL, "connection_id" uuid NOT NULL, "grant_id" uuid, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), "data" jsonb NOT NULL, CONSTRAINT "PK_connection_events" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_connection_events_seq" ON "connection_events" ("seq")`);
    await queryRunner.query(`CREATE INDEX "IDX_connection_events_customer_occurred_at" ON "connection_events" ("customer_id", "occurred_at", "id")`);
    await queryRunner.query(`CREATE INDEX "IDX_connection_events_connection" ON "connection_events" ("connection_id", "seq")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "connection_events"`);
  }
}
