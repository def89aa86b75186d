import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const AUDIT_ACTIONS = [
  'credentials.read',
  'connection.create',
  'connection.update',
  'connection.delete',
  'connection.refresh',
  'grant.create',
  'grant.delete',
  'instance.create',
  'instance.delete',
  'instance.rotate_key',
  'api_key.create',
  'api_key.delete',
  'oauth_app.create',
  'oauth_app.update',
  'oauth_app.delete',
  'webhook.create',
  'webhook.update',
  'webhook.delete',
  'webhook.rotate_secret',
  'customer.create',
  'customer.delete',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_OUTCOMES = ['success', 'denied', 'error'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const ACTOR_KINDS = ['admin', 'customer', 'instance', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/**
 * One audit event: who did what to which of a customer's things, and how it ended. Insert-only and
 * high volume: `seq` (assigned by the insert) is its place in the chain the sealer MACs (`AuditSealer`);
 * `mac` is the event's own MAC, made by the service when it writes the row, under the key `key_id`
 * derived from a master key (`AuditKeys`), so a row written by SQL is told apart. No foreign key: an
 * event outlives the customer and the things it names. Never a secret, a key or a key's hash.
 */
@Entity('audit_events')
@Index('IDX_audit_events_customer_occurred_at', ['customerId', 'occurredAt', 'id'])
export class AuditEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'PK_audit_events' })
  seq: string;

  @Column({ type: 'uuid' })
  id: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Column({ type: 'varchar', length: 32 })
  action: AuditAction;

  @Column({ type: 'varchar', length: 16 })
  outcome: AuditOutcome;

  @Column({ type: 'smallint', nullable: true })
  status: number | null;

  @Column({ name: 'actor_kind', type: 'varchar', length: 16 })
  actorKind: ActorKind;

  @Column({ name: 'actor_id', type: 'varchar', length: 255, nullable: true })
  actorId: string | null;

  @Column({ name: 'connection_id', type: 'uuid', nullable: true })
  connectionId: string | null;

  @Column({ name: 'instance_id', type: 'uuid', nullable: true })
  instanceId: string | null;

  @Column({ name: 'grant_id', type: 'uuid', nullable: true })
  grantId: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  provider: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  capability: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  @Column({ name: 'key_id', type: 'varchar', length: 64 })
  keyId: string;

  @Column({ type: 'bytea' })
  mac: Buffer;
}

/**
 * A seal: the events of `first_seq`..`last_seq` (less `holes`, the numbers no committed event holds)
 * chained to the seal before by `mac`. `fingerprints` holds the first 4 bytes of each event's MAC in
 * order, so that verification names the first event out of place rather than only the seal.
 */
@Entity('audit_seals')
export class AuditSeal {
  @PrimaryColumn({ name: 'first_seq', type: 'bigint', primaryKeyConstraintName: 'PK_audit_seals' })
  firstSeq: string;

  @Column({ name: 'last_seq', type: 'bigint' })
  lastSeq: string;

  @Column({ type: 'bigint', array: true })
  holes: string[];

  @Column({ type: 'bytea' })
  fingerprints: Buffer;

  /** The latest `occurred_at` among its events: retention prunes whole seals older than the cut-off. */
  @Column({ name: 'last_occurred_at', type: 'timestamptz', nullable: true })
  lastOccurredAt: Date | null;

  @Column({ name: 'key_id', type: 'varchar', length: 64 })
  keyId: string;

  @Column({ type: 'bytea' })
  mac: Buffer;

  @Column({ name: 'sealed_at', type: 'timestamptz', default: () => 'now()' })
  sealedAt: Date;
}

/**
 * The chain's state, one row: the last seal (`head_*`) and the last pruned one (`pruned_*`), with a
 * MAC over both, so that cutting the newest seals, or pruning without the key, is seen.
 */
@Entity('audit_chain')
export class AuditChain {
  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'PK_audit_chain' })
  id: number;

  @Column({ name: 'head_seq', type: 'bigint' })
  headSeq: string;

  @Column({ name: 'head_mac', type: 'bytea', nullable: true })
  headMac: Buffer | null;

  @Column({ name: 'pruned_seq', type: 'bigint' })
  prunedSeq: string;

  @Column({ name: 'pruned_mac', type: 'bytea', nullable: true })
  prunedMac: Buffer | null;

  @Column({ name: 'key_id', type: 'varchar', length: 64, nullable: true })
  keyId: string | null;

  @Column({ type: 'bytea', nullable: true })
  mac: Buffer | null;
}
