import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ConnectionEventType } from './connection-event.entity';

export interface ConnectionEventInput {
  type: ConnectionEventType;
  customerId: string;
  connectionId: string;
  grantId?: string | null;
  /** The `Connection` or `Grant` as the API shows it, as JSON text or a value. */
  data: string | object;
}

/**
 * Writes connection events into the outbox (`connection_events`). Always called with the manager of
 * the transaction that makes the change, so the event commits with it or not at all; readers (webhook
 * deliveries, audit) find it once committed, and a crash between the change and its delivery loses
 * nothing.
 */
@Injectable()
export class ConnectionEvents {
  async record(manager: EntityManager, event: ConnectionEventInput): Promise<string> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('connection events are written in the transaction of their change');
    const id = randomUUID();
    await manager.query(
      `INSERT INTO connection_events (id, customer_id, type, connection_id, grant_id, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
      [id, event.customerId, event.type, event.connectionId, event.grantId ?? null, typeof event.data === 'string' ? event.data : JSON.stringify(event.data)],
    );
    return id;
  }
}
