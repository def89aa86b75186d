import { randomUUID } from 'node:crypto';
import { Injectable, ServiceUnavailableException, type BeforeApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PreparedStatements } from '../database/prepared-statements';
import { binaryArray, type BinaryElementType } from '../database/binary-parameters';
import type { AuditAction, AuditOutcome } from './audit-event.entity';
import { type AuditEventFields, AuditKeys } from './audit-mac';
import { type Caller, instanceCaller } from './caller';
import { answeredStatus, type CredentialsRead, readOutcome } from './credentials-read';
import { GroupCommit } from './group-commit';

/** What a change says about its event; the rest (id, time, MAC) the trail adds. */
export interface AuditInput {
  action: AuditAction;
  /** Who acted, and in which request (`@RequestCaller()`, or `SYSTEM_CALLER` for background work). */
  by: Caller;
  customerId: string;
  /** Default `success`. */
  outcome?: AuditOutcome;
  /** The HTTP status answered; default the action's success status (201 create, 200 update, 204 delete); null for background work. */
  status?: number | null;
  connectionId?: string | null;
  instanceId?: string | null;
  grantId?: string | null;
  provider?: string | null;
  capability?: string | null;
}

const SUCCESS_STATUS: Record<string, number> = { create: 201, update: 200, delete: 204, rotate_key: 201, rotate_secret: 201, refresh: 200, read: 200 };

/** The columns an event's insert writes, each with its type: the statement's `$n` is the nth column's binary array. */
const EVENT_COLUMNS = [
  ['id', 'uuid'], ['customer_id', 'uuid'], ['occurred_at', 'timestamptz'], ['action', 'varchar'], ['outcome', 'varchar'],
  ['status', 'int2'], ['actor_kind', 'varchar'], ['actor_id', 'varchar'], ['connection_id', 'uuid'], ['instance_id', 'uuid'],
  ['grant_id', 'uuid'], ['provider', 'varchar'], ['capability', 'varchar'], ['request_id', 'varchar'], ['key_id', 'varchar'], ['mac', 'bytea'],
] as const satisfies readonly (readonly [keyof StoredEvent, BinaryElementType])[];

/**
 * The insert of any number of events, one array per column (`columnsOf`), zipped by `unnest`; the same
 * text for one event or a batch. Reading each row by subscript (`generate_subscripts`) instead took 11%
 * less of PostgreSQL's CPU for a batch of 13, but past ~200 rows more (an element of a varchar array is
 * reached by walking the ones before it), and the fetch's throughput did not change (docs/performance.md).
 */
const INSERT_EVENTS = {
  name: 'audit_insert_events',
  // The filter runs first and gives the transaction its id before the identity hands out `seq`: the
  // sealer relies on an event's seq being taken only by a transaction it can see running (AuditSealer).
  text: `INSERT INTO audit_events (${EVENT_COLUMNS.map(([column]) => column).join(', ')})
         SELECT * FROM unnest(${EVENT_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
          WHERE pg_current_xact_id() IS NOT NULL`,
};

/** The insert of `events`, with its parameters. */
export function insertOf(events: StoredEvent[]): { name: string; text: string; values: Buffer[] } {
  return { ...INSERT_EVENTS, values: columnsOf(events) };
}

export type StoredEvent = AuditEventFields & { key_id: string; mac: Buffer };
/** The MAC's place while the event's fields are set, so that the object keeps one shape. */
const EMPTY = Buffer.alloc(0);

/**
 * The audit trail's one way in. A change records its event with the manager of its own transaction,
 * so that both commit or neither does:
 *
 *     await this.audit.record(manager, { action: 'connection.create', by, customerId, connectionId });
 *
 * The actor and the request id are the controller's `Caller`, handed down (`by`). A credential read
 * (`recordRead`) is written by group commit instead, and resolves only once its event is committed.
 * Nothing secret is ever an input.
 */
@Injectable()
export class AuditTrail implements BeforeApplicationShutdown {
  private readonly reads: GroupCommit<StoredEvent>;

  constructor(
    private readonly keys: AuditKeys,
    statements: PreparedStatements,
  ) {
    // Async, so that an event the encoder refuses fails its batch (a 503) instead of throwing in a timer.
    this.reads = new GroupCommit(async (events) => {
      const insert = insertOf(events);
      await statements.rows(insert, insert.values);
    });
  }

  /** Writes the event in the caller's transaction. */
  async record(manager: EntityManager, input: AuditInput): Promise<void> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('audit events are written in the transaction of their change');
    const insert = insertOf([this.build(input)]);
    await manager.query(insert.text, insert.values);
  }

  /**
   * The event of a fetch, answered 200 or failed with `error`: written with others of the same moment,
   * resolved once committed. When it cannot be written the fetch is a 503 and no credential leaves. A
   * key that matched nobody names no customer: nothing is written (the request log has it).
   */
  async recordRead(read: CredentialsRead, requestId: string, error?: unknown): Promise<void> {
    if (read.customerId === undefined) return;
    const status = error === undefined ? 200 : answeredStatus(error);
    const event = this.build({
      action: 'credentials.read',
      by: instanceCaller(read.instanceId ?? null, requestId),
      customerId: read.customerId,
      outcome: readOutcome(status),
      status,
      connectionId: read.connectionId,
      instanceId: read.instanceId,
      provider: read.provider,
      capability: read.capability,
    });
    try {
      await this.reads.add(event);
    } catch (cause) {
      throw new ServiceUnavailableException('The audit trail cannot be written now: no credentials are returned', { cause });
    }
  }

  private build(input: AuditInput): StoredEvent {
    const { actor, requestId } = input.by;
    const event: StoredEvent = {
      id: randomUUID(),
      customer_id: input.customerId.toLowerCase(),
      occurred_at: new Date(),
      action: input.action,
      outcome: input.outcome ?? 'success',
      status: input.status === undefined ? SUCCESS_STATUS[input.action.slice(input.action.indexOf('.') + 1)] ?? null : input.status,
      actor_kind: actor.kind,
      actor_id: actor.id,
      connection_id: input.connectionId?.toLowerCase() ?? null,
      instance_id: input.instanceId?.toLowerCase() ?? null,
      grant_id: input.grantId?.toLowerCase() ?? null,
      provider: input.provider ?? null,
      capability: input.capability ?? null,
      request_id: requestId === null ? null : requestId.slice(0, 128),
      key_id: this.keys.activeId,
      mac: EMPTY,
    };
    event.mac = this.keys.eventMac(this.keys.activeKey, event);
    return event;
  }

  /** Reads waiting for their commit are written before the database goes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.reads.drained();
  }
}

/**
 * The events as the insert's parameters: one binary array per column, which PostgreSQL reads without
 * parsing text (11% less of its CPU per batch of 13 than text arrays; docs/performance.md).
 */
function columnsOf(events: StoredEvent[]): Buffer[] {
  return EVENT_COLUMNS.map(([column, type]) => binaryArray(type, events.map((event) => event[column]) as never));
}
