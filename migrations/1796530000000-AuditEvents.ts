import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail (`audit_events`), its seals and the chain's state (see `src/audit/`). Events are
 * found by customer and time; `seq`, their primary key, is the chain's order.
 */
export class AuditEvents1796530000000 implements MigrationInterface {
  name = 'AuditEvents1796530000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "audit_events" ("seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "id" uuid NOT NULL, "customer_id" uuid NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "action" character varying(32) NOT NULL, "outcome" character varying(16) NOT NULL, "status" smallint, "actor_kind" character varying(16) NOT NULL, "actor_id" character varying(255), "connection_id" uuid, "instance_id" uuid, "grant_id" uuid, "provider" character varying(50), "capability" character varying(100), "request_id" character varying(128), "key_id" character varying(64) NOT NULL, "mac" bytea NOT NULL, CONSTRAINT "PK_audit_events" PRIMARY KEY ("seq"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_audit_events_customer_occurred_at" ON "audit_events" ("customer_id", "occurred_at", "id")`);
    await queryRunner.query(
      `CREATE TABLE "audit_seals" ("first_seq" bigint NOT NULL, "last_seq" bigint NOT NULL, "holes" bigint array NOT NULL, "fingerprints" bytea NOT NULL, "last_occurred_at" TIMESTAMP WITH TIME ZONE, "key_id" character varying(64) NOT NULL, "mac" bytea NOT NULL, "sealed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_audit_seals" PRIMARY KEY ("first_seq"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "audit_chain" ("id" smallint NOT NULL, "head_seq" bigint NOT NULL, "head_mac" bytea, "pruned_seq" bigint NOT NULL, "pruned_mac" bytea, "key_id" character varying(64), "mac" bytea, CONSTRAINT "PK_audit_chain" PRIMARY KEY ("id"))`,
    );
    // The genesis: nothing sealed, nothing pruned, no MAC yet (the first seal writes one).
    await queryRunner.query(`INSERT INTO "audit_chain" ("id", "head_seq", "pruned_seq") VALUES (1, 0, 0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_chain"`);
    await queryRunner.query(`DROP TABLE "audit_seals"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
  }
}
