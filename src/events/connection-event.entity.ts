import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** What happened to a connection (or one of its grants); the names are the webhook event types of the contract. */
export const CONNECTION_EVENT_TYPES = [
  'connection.created',
  'connection.updated',
  'connection.deleted',
  'grant.created',
  'grant.deleted',
  'connection.refreshed',
  'connection.refresh_failed',
  'connection.revoked',
  'connection.recovered',
  'connection.expired',
] as const;
export type ConnectionEventType = (typeof CONNECTION_EVENT_TYPES)[number];

/**
 * The outbox of connection changes: one row written in the same transaction as the change it reports,
 * so that a change is never committed without its event, nor an event without its change. Webhook
 * deliveries fan out from these rows; nothing here is ever updated. No foreign key: an event outlives
 * the connection, grant and customer it names. `seq` is the commit-independent order readers page by.
 */
@Entity('connection_events')
@Index('IDX_connection_events_customer_occurred_at', ['customerId', 'occurredAt', 'id'])
@Index('IDX_connection_events_connection', ['connectionId', 'seq'])
export class ConnectionEvent {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_connection_events' })
  id: string;

  @Index('UQ_connection_events_seq', { unique: true })
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS', insert: false, update: false })
  seq: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @Column({ type: 'varchar', length: 64 })
  type: ConnectionEventType;

  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId: string;

  @Column({ name: 'grant_id', type: 'uuid', nullable: true })
  grantId: string | null;

  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  occurredAt: Date;

  /** The `Connection` (or `Grant`) as the API shows it at the moment of the event: never credentials. */
  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;
}
