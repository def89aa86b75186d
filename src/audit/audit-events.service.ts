import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../http/not-found';
import { EVENT_COLUMNS } from './audit-events.sql';
import type { StoredEventRow } from './audit-sealer';
import type { AuditEventFilter, AuditEventListResponse, AuditEventResponse, ListAuditEventsQuery } from './dto/audit-event.dto';

/** Rows the export reads from its cursor at a time. */
const EXPORT_BATCH = 500;

/** Reads of a customer's trail: a page, or every matching event streamed from a server-side cursor. */
@Injectable()
export class AuditEventsService {
  constructor(private readonly dataSource: DataSource) {}

  /** Oldest first. A customer that never existed is a 404; a deleted one still has its events. */
  async list(customerId: string, query: ListAuditEventsQuery): Promise<AuditEventListResponse> {
    const { where, values } = filterOf(customerId, query);
    const [{ total }] = await this.dataSource.query(`SELECT count(*)::int AS total FROM audit_events WHERE ${where}`, values);
    if (total === 0) await this.assertKnown(customerId);
    const rows: StoredEventRow[] =
      total <= query.offset
        ? []
        : await this.dataSource.query(
            `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE ${where} ORDER BY occurred_at, id LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
            [...values, query.limit, query.offset],
          );
    return { audit_events: rows.map(mapAuditEvent), total };
  }

  /**
   * Every matching event, oldest first, one JSON object a line, read from a cursor in one snapshot, a
   * batch at a time as the client takes them: memory stays the same whatever the trail's size.
   */
  async export(customerId: string, filter: AuditEventFilter): Promise<Readable> {
    await this.assertKnown(customerId);
    const { where, values } = filterOf(customerId, filter);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await runner.query(`DECLARE audit_export NO SCROLL CURSOR FOR SELECT ${EVENT_COLUMNS} FROM audit_events WHERE ${where} ORDER BY occurred_at, id`, values);
    } catch (error) {
      await runner.release();
      throw error;
    }
    let pending: Promise<unknown> = Promise.resolve();
    return new Readable({
      read() {
        pending = runner.query(`FETCH FORWARD ${EXPORT_BATCH} FROM audit_export`).then(
          (rows: StoredEventRow[]) => this.push(rows.length === 0 ? null : rows.map((row) => JSON.stringify(mapAuditEvent(row)) + '\n').join('')),
          (error: unknown) => this.destroy(error as Error),
        );
      },
      destroy(error, callback) {
        // After the fetch under way, if any: the connection goes back to the pool with no transaction open.
        void pending
          .then(() => runner.query('ROLLBACK'))
          .catch(() => undefined)
          .finally(() => runner.release().catch(() => undefined))
          .then(() => callback(error));
      },
    });
  }

  /** The customer exists, or did: its events outlive it. */
  private async assertKnown(customerId: string): Promise<void> {
    const [{ known }] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1) OR EXISTS (SELECT 1 FROM audit_events WHERE customer_id = $1) AS known`,
      [customerId],
    );
    if (!known) throw notFound('Customer');
  }
}

function filterOf(customerId: string, filter: AuditEventFilter): { where: string; values: unknown[] } {
  const conditions = ['customer_id = $1'];
  const values: unknown[] = [customerId];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    conditions.push(sql.replace('?', `$${values.length}`));
  };
  if (filter.action !== undefined) add('action = ?', filter.action);
  if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
  if (filter.connection_id !== undefined) add('connection_id = ?', filter.connection_id.toLowerCase());
  if (filter.instance_id !== undefined) add('instance_id = ?', filter.instance_id.toLowerCase());
  if (filter.since !== undefined) add('occurred_at >= ?::timestamptz', filter.since);
  if (filter.until !== undefined) add('occurred_at < ?::timestamptz', filter.until);
  return { where: conditions.join(' AND '), values };
}

/** The one shape of an event, for the list and the export alike. */
export function mapAuditEvent(row: StoredEventRow): AuditEventResponse {
  return {
    id: row.id,
    customer_id: row.customer_id,
    occurred_at: row.occurred_at.toISOString(),
    action: row.action as AuditEventResponse['action'],
    outcome: row.outcome as AuditEventResponse['outcome'],
    status: row.status,
    actor: { kind: row.actor_kind as AuditEventResponse['actor']['kind'], id: row.actor_id },
    connection_id: row.connection_id,
    instance_id: row.instance_id,
    grant_id: row.grant_id,
    provider: row.provider,
    capability: row.capability,
    request_id: row.request_id,
  };
}
