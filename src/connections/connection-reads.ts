import { Injectable } from '@nestjs/common';
import { PreparedStatements } from '../database/prepared-statements';
import type { JsonText } from '../http/json-text';
import type { ConnectionListResponse, ConnectionResponse } from './dto/connection.response';

/**
 * A connection `c` as the JSON the API shows, `ConnectionResponse`: its two parts kept by the trigger
 * `connections_json`, with `last_used_at` and the grants spliced in (see the migration ConnectionJson).
 */
const CONNECTION_JSON = `c.json_head || api_timestamp_json(c.last_used_at) || c.json_tail
       || COALESCE((SELECT l.grants FROM connection_grant_lists l WHERE l.connection_id = c.id), '[]') || '}'`;

/** The total of an unfiltered list: the count kept by triggers, not a count of a large customer's rows on every page. */
const KEPT_TOTAL = 'COALESCE((SELECT t.connections FROM customer_connection_counts t WHERE t.customer_id = $1), 0)';

/** A whole `ConnectionListResponse` as JSON text, and whether the customer exists: one statement, one round trip. */
function pageStatement(where: string, total: string, paging: string) {
  // The page is found first, by the innermost select, and only its rows are read, however deep the offset.
  const page = `SELECT c.id, c.created_at, c.json_head, c.last_used_at, c.json_tail FROM connections c WHERE ${where} ORDER BY c.created_at, c.id ${paging}`;
  return `SELECT '{"connections":[' || COALESCE((SELECT string_agg(${CONNECTION_JSON}, ',' ORDER BY c.created_at, c.id) FROM (${page}) c), '')
                 || '],"total":' || ${total} || '}' AS body,
                 EXISTS (SELECT 1 FROM customers WHERE id = $1) AS customer_exists`;
}

/**
 * The unfiltered page, the one clients read most: named, so planned once per connection. Without
 * filters, its generic plan is the (customer_id, created_at, id) index read in order up to the limit,
 * for a customer of 100 connections as for one of 100,000 (see test/e2e/query-plans.e2e-spec.ts).
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
  text: `SELECT ${CONNECTION_JSON} AS body FROM connections c WHERE c.id = $1 AND c.customer_id = $2`,
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
 * The reads of `/v1` connections. PostgreSQL gives the response JSON itself and the service sends it as
 * it comes: a page of 100 connections with their grants is about 35 KB, and parsing its rows (four
 * timestamps each) only to serialise them again cost the service more than the rest of the request.
 * Each connection's JSON is kept ready in its row, so that a page is a concatenation of 100 of them.
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
    const [row] = await this.statements.rows<{ body: string }>(ONE, [connectionId, customerId]);
    return row?.body as JsonText<ConnectionResponse> | undefined;
  }
}
