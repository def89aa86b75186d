import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Webhook } from './webhook.entity';

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One attempt to deliver one event to one webhook: the outbox's work queue and its history at once.
 * Fanned out from `connection_events` by a trigger, in the transaction of the change; a failed attempt
 * schedules the next as a new `pending` row, so the list shows every attempt. Replicas claim due
 * `pending` rows with `FOR UPDATE SKIP LOCKED`, setting a lease that no other replica takes until it
 * passes.
 */
@Entity('webhook_deliveries')
@Index('IDX_webhook_deliveries_webhook_created_at_id', ['webhookId', 'createdAt', 'id'])
@Index('IDX_webhook_deliveries_due', ['nextAttemptAt'], { where: `"status" = 'pending'` })
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_webhook_deliveries' })
  id: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId: string;

  @ManyToOne(() => Webhook, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id', foreignKeyConstraintName: 'FK_webhook_deliveries_webhook' })
  webhook?: Relation<Webhook>;

  /** The `connection_events` row (no foreign key: events outlive what they name), or the test event's own id. */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType: string;

  /** When the event happened: the body's `timestamp`, the same on every attempt. */
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  /** `webhook-id`: one per event and endpoint, the same on every attempt, so receivers can dedupe. */
  @Column({ name: 'message_id', type: 'varchar', length: 64 })
  messageId: string;

  @Column({ type: 'integer' })
  attempt: number;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus: number | null;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  error: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt: Date;

  /** Pending: when it is due. Failed: when the next attempt is due, or null when given up. Succeeded: null. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  /** A replica's claim: until then no other replica sends this attempt. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  /** Names the claim, so that the outcome of a claim taken over after its lease passed is not written. */
  @Column({ name: 'lease_token', type: 'uuid', nullable: true })
  leaseToken: string | null;
}
