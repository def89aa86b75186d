import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { PipelinedStatements } from '../database/pipelined-statements';
import { PreparedStatements } from '../database/prepared-statements';
import type { JsonText } from '../http/json-text';
import type { ConnectionListResponse, ConnectionResponse } from './dto/connection.response';
import { PageCache } from './page-cache';

/**
 * A connection `c` as the JSON the API shows, `ConnectionResponse`: its two parts kept by the trigger
 * `connections_json`, with `last_used_at` (kept in `connection_last_uses`) and the grants spliced in
 * (see the migrations ConnectionJson and ConnectionLastUses).
 */
const CONNECTION_JSON = `c.json_head || api_timestamp_json((SELECT u.last_used_at FROM connection_last_uses u WHERE u.connection_id = c.id)) || c.json_tail
       || COALESCE((SELECT l.grants FROM connection_grant_lists l WHERE l.connection_id = c.id), '[]') || '}'`;

/** The total of an unfiltered list: the count kept by triggers (`t`, below), not a count of a large customer's rows on every page. */
const KEPT_TOTAL = 'COALESCE(t.connections, 0)';

/** The version of the customer's list (see `CustomerConnectionCount.version`); no row before its first connection. */
const LIST_VERSION = { name: 'connection_list_version', text: 'SELECT t.version FROM customer_connection_counts t WHERE t.customer_id = $1' };

/**
 * A whole `ConnectionListResponse` as JSON text, whether the customer exists and the version of the
 * list it shows (seen in the same snapshot): one statement, one round trip. The customer's row of
 * `customer_connection_counts` (`t`, none before its first connection) is read once, for both the
 * version and the kept total.
 */
function pageStatement(where: string, total: string, paging: string) {
  // The page is found first, by the innermost select, and only its rows are read, however deep the offset.
  const page = `SELECT c.id, c.created_at, c.json_head, c.json_tail FROM connections c WHERE ${where} ORDER BY c.created_at, c.id ${paging}`;
  return `SELECT '{"connections":[' || COALESCE((SELECT string_agg(${CONNECTION_JSON}, ',' ORDER BY c.created_at, c.id) FROM (${page}) c), '')
                 || '],"total":' || ${total} || '}' AS body,
                 EXISTS (SELECT 1 FROM customers WHERE id = $1) AS customer_exists,
                 t.version
            FROM (SELECT) AS one LEFT JOIN customer_connection_counts t ON t.customer_id = $1`;
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

/** The kept page's key of a list query: distinct queries, distinct keys (an absent filter is null, not ""). */
export function pageKey(customerId: string, filter: ConnectionFilter, limit: number, offset: number): string {
  return JSON.stringify([customerId, limit, offset, filter.provider ?? null, filter.status ?? null]);
}

interface PageRow {
  body: string;
  customer_exists: boolean;
  version: string | null;
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
  /** Pages kept to be served again while their version holds; none when CONNECTION_PAGE_CACHE_MIB is 0. */
  private readonly pages: PageCache | undefined;
  /** Pages being read, by page and the version seen before reading: requests for the same one share it. */
  private readonly reading = new Map<string, Promise<PageRow>>();

  constructor(
    private readonly statements: PreparedStatements,
    private readonly lookups: PipelinedStatements,
    config: AppConfig,
  ) {
    this.pages = config.connectionPageCacheBytes > 0 ? new PageCache(config.connectionPageCacheBytes) : undefined;
  }

  /** How many pages are kept and the heap they are counted at (none when the cache is off). */
  get keptPages(): { size: number; bytes: number; maxBytes: number } | undefined {
    return this.pages && { size: this.pages.size, bytes: this.pages.bytes, maxBytes: this.pages.maxBytes };
  }

  /**
   * Undefined when the customer does not exist. With pages kept, the version of the customer's list is
   * looked up first (a pipelined primary-key lookup): a page kept at that version, less than a second
   * ago, is still right but for `last_used_at`, which may be up to that second older.
   */
  async page(customerId: string, filter: ConnectionFilter, limit: number, offset: number): Promise<JsonText<ConnectionListResponse> | undefined> {
    const row = this.pages ? await this.keptOrRead(this.pages, customerId, filter, limit, offset) : await this.read(customerId, filter, limit, offset);
    return row.customer_exists ? (row.body as JsonText<ConnectionListResponse>) : undefined;
  }

  private async keptOrRead(pages: PageCache, customerId: string, filter: ConnectionFilter, limit: number, offset: number): Promise<PageRow> {
    const [current] = await this.lookups.rows<{ version: string }>(LIST_VERSION, [customerId]);
    if (current === undefined) return this.read(customerId, filter, limit, offset);
    // A JSON array: filters holding spaces or quotes cannot make two queries' keys alike.
    const key = pageKey(customerId, filter, limit, offset);
    const body = pages.get(key, current.version, Date.now());
    if (body !== undefined) return { body, customer_exists: true, version: current.version };
    const reading = `${key}${current.version}`;
    let read = this.reading.get(reading);
    if (read === undefined) {
      read = this.read(customerId, filter, limit, offset)
        .then((row) => {
          if (row.customer_exists && row.version !== null) pages.set(key, row.version, row.body, Date.now());
          return row;
        })
        .finally(() => this.reading.delete(reading));
      this.reading.set(reading, read);
    }
    return read;
  }

  private async read(customerId: string, filter: ConnectionFilter, limit: number, offset: number): Promise<PageRow> {
    const unfiltered = filter.provider === undefined && filter.status === undefined;
    const [row] = unfiltered
      ? await this.statements.rows<PageRow>(CONNECTIONS_PAGE, [customerId, limit, offset])
      : await this.statements.rows<PageRow>(FILTERED_CONNECTIONS_PAGE, [customerId, filter.provider ?? null, filter.status ?? null, limit, offset]);
    return row;
  }

  async one(customerId: string, connectionId: string): Promise<JsonText<ConnectionResponse> | undefined> {
    const [row] = await this.statements.rows<{ body: string }>(ONE, [connectionId, customerId]);
    return row?.body as JsonText<ConnectionResponse> | undefined;
  }

  /** The connection as a transaction sees it, uncommitted changes included: what its events carry. */
  async oneIn(manager: EntityManager, connectionId: string): Promise<JsonText<ConnectionResponse> | undefined> {
    const [row]: { body: string }[] = await manager.query(`SELECT ${CONNECTION_JSON} AS body FROM connections c WHERE c.id = $1`, [connectionId]);
    return row?.body as JsonText<ConnectionResponse> | undefined;
  }
}
