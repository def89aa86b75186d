import { Injectable } from '@nestjs/common';
import { PreparedStatements } from '../database/prepared-statements';
import type { JsonText } from '../http/json-text';
import type { ConnectionListResponse, ConnectionResponse } from './dto/connection.response';

/** A timestamp as the API writes it, `2026-01-02T03:04:05.678Z`: what `Date#toISOString` gives (milliseconds truncated alike). */
const apiTimestamp = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The grants of the connection `c`, as the API shows them, in grant order. */
const GRANTS_JSON = `COALESCE((SELECT array_to_json(array_agg(g)) FROM (
           SELECT g.id, g.connection_id, g.instance_id, g.capabilities, ${apiTimestamp('g.granted_at')} AS granted_at
             FROM grants g WHERE g.connection_id = c.id ORDER BY g.granted_at, g.id) g), '[]'::json)`;

/** What a connection's JSON shows of its row: never the sealed credentials. */
const READ_COLUMNS = 'id, customer_id, provider, name, auth_type, status, error_message, scopes, metadata_json, expires_at, last_used_at, created_at, updated_at';

/**
 * The rows of `c` as a JSON array of `ConnectionResponse` objects, their keys in this order. The
 * aggregate takes them in the order of `c`, a sorted subquery (no join at this level to reorder them).
 * `array_to_json(array_agg(…))` rather than `json_agg`, which puts a line break between elements.
 */
const CONNECTIONS_JSON = (c: string) => `SELECT array_to_json(array_agg(v)) FROM (
           SELECT c.id, c.customer_id, c.provider, c.name, c.auth_type, c.status, c.error_message, c.scopes, c.metadata_json,
                  ${apiTimestamp('c.expires_at')} AS expires_at, ${apiTimestamp('c.last_used_at')} AS last_used_at,
                  ${apiTimestamp('c.created_at')} AS created_at, ${apiTimestamp('c.updated_at')} AS updated_at,
                  ${GRANTS_JSON} AS grants
             FROM (${c}) c) v`;

/** The total of an unfiltered list: the count kept by triggers, not a count of a large customer's rows on every page. */
const KEPT_TOTAL = 'COALESCE((SELECT t.connections FROM customer_connection_counts t WHERE t.customer_id = $1), 0)';

/** A whole `ConnectionListResponse` as JSON text, and whether the customer exists: one statement, one round trip. */
function pageStatement(where: string, total: string, paging: string) {
  const page = `SELECT ${READ_COLUMNS} FROM connections c WHERE ${where} ORDER BY c.created_at, c.id ${paging}`;
  return `SELECT (SELECT row_to_json(r) FROM (SELECT COALESCE((${CONNECTIONS_JSON(page)}), '[]'::json) AS connections, ${total} AS total) r)::text AS body,
                 EXISTS (SELECT 1 FROM customers WHERE id = $1) AS customer_exists`;
}

/**
 * The unfiltered page, the one clients read most: named, so planned once per connection. Without
 * filters, its generic plan is the (customer_id, created_at, id) index read in order up to the limit,
 * for a customer of 100 connections as for one of 100,000 (see test/e2e/query-plans.e2e-spec.ts).
 * The page is found first (the innermost select) and only its rows become JSON, however deep the offset.
 */
export const CONNECTIONS_PAGE = {
  name: 'connections_page',
  text: pageStatement('c.customer_id = $1', KEPT_TOTAL, 'LIMIT $2 OFFSET $3'),
};

const FILTER = 'c.customer_id = $1 AND ($2::varchar IS NULL OR c.provider = $2) AND ($3::varchar IS NULL OR c.status = $3)';

/**
 * A page filtered by provider or status. Unnamed, so planned for its values: for a filter whose
 * values it cannot see, a generic plan, costed for the average customer, would sort all 100,000 rows
 * of a large one where the index gives them in order.
 */
export const FILTERED_CONNECTIONS_PAGE = {
  text: pageStatement(FILTER, `(SELECT count(*) FROM connections c WHERE ${FILTER})`, 'LIMIT $4 OFFSET $5'),
};

const ONE = {
  name: 'connection_json_by_id',
  text: `SELECT (${CONNECTIONS_JSON(`SELECT ${READ_COLUMNS} FROM connections c WHERE c.id = $1 AND c.customer_id = $2`)}) ->> 0 AS body`,
};

interface PageRow {
  body: string;
  customer_exists: boolean;
}

export interface ConnectionFilter {
  provider?: string;
  status?: string;
}

/**
 * The reads of `/v1` connections. PostgreSQL builds the response JSON itself and the service sends it as
 * it comes: a page of 100 connections with their grants is about 50 KB, and parsing its rows (four
 * timestamps each) only to serialise them again cost the service more than the rest of the request.
 */
@Injectable()
export class ConnectionReads {
  constructor(private readonly statements: PreparedStatements) {}

  /** Undefined when the customer does not exist. */
  async page(customerId: string, filter: ConnectionFilter, limit: number, offset: number): Promise<JsonText<ConnectionListResponse> | undefined> {
    const unfiltered = filter.provider === undefined && filter.status === undefined;
    const [row] = unfiltered
      ? await this.statements.rows<PageRow>(CONNECTIONS_PAGE, [customerId, limit, offset])
      : await this.statements.rows<PageRow>(FILTERED_CONNECTIONS_PAGE, [customerId, filter.provider ?? null, filter.status ?? null, limit, offset]);
    return row.customer_exists ? (row.body as JsonText<ConnectionListResponse>) : undefined;
  }

  async one(customerId: string, connectionId: string): Promise<JsonText<ConnectionResponse> | undefined> {
    const [{ body }] = await this.statements.rows<{ body: string | null }>(ONE, [connectionId, customerId]);
    return (body ?? undefined) as JsonText<ConnectionResponse> | undefined;
  }
}
