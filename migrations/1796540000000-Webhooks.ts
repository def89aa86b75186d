import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks (a customer's endpoints, their secrets sealed) and `webhook_deliveries` (one row per attempt,
 * the queue the replicas claim from). A trigger on `connection_events` fans each event out to the
 * customer's enabled, subscribed webhooks as first attempts, in the transaction that writes the event,
 * so a committed change always has its deliveries and a crash loses none.
 */
export class Webhooks1796540000000 implements MigrationInterface {
  name = 'Webhooks1796540000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "webhooks" ("id" uuid NOT NULL, "customer_id" uuid NOT NULL, "url" character varying(2048) NOT NULL, "events" jsonb NOT NULL, "description" character varying(1024), "enabled" boolean NOT NULL DEFAULT true, "secret_ciphertext" bytea NOT NULL, "secret_nonce" bytea NOT NULL, "wrapped_data_key" bytea NOT NULL, "key_id" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_webhooks" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_webhooks_key_id" ON "webhooks" ("key_id")`);
    await queryRunner.query(`CREATE INDEX "IDX_webhooks_customer_created_at_id" ON "webhooks" ("customer_id", "created_at", "id")`);
    await queryRunner.query(
      `ALTER TABLE "webhooks" ADD CONSTRAINT "FK_webhooks_customer" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "webhook_id" uuid NOT NULL, "event_id" uuid NOT NULL, "event_type" character varying(64) NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "message_id" character varying(64) NOT NULL, "attempt" integer NOT NULL, "status" character varying(16) NOT NULL, "response_status" integer, "error" character varying(1024), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), "next_attempt_at" TIMESTAMP WITH TIME ZONE, "lease_until" TIMESTAMP WITH TIME ZONE, "lease_token" uuid, CONSTRAINT "PK_webhook_deliveries" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_webhook_deliveries_due" ON "webhook_deliveries" ("next_attempt_at") WHERE "status" = 'pending'`);
    await queryRunner.query(`CREATE INDEX "IDX_webhook_deliveries_webhook_created_at_id" ON "webhook_deliveries" ("webhook_id", "created_at", "id")`);
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_webhook_deliveries_webhook" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // The fan-out: every writer of connection_events (the API's changes, the refresh engine) gets it
    // without knowing about webhooks, inside its own transaction.
    await queryRunner.query(`
      CREATE FUNCTION webhook_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, occurred_at, message_id, attempt, status, next_attempt_at)
        SELECT w.id, NEW.id, NEW.type, NEW.occurred_at, 'msg_' || replace(gen_random_uuid()::text, '-', ''), 1, 'pending', now()
          FROM webhooks w
         WHERE w.customer_id = NEW.customer_id AND w.enabled AND (w.events ? NEW.type OR w.events ? '*');
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(
      `CREATE TRIGGER "connection_events_webhook_fan_out" AFTER INSERT ON "connection_events" FOR EACH ROW EXECUTE FUNCTION webhook_fan_out()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "connection_events_webhook_fan_out" ON "connection_events"`);
    await queryRunner.query(`DROP FUNCTION webhook_fan_out()`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "webhooks"`);
  }
}
