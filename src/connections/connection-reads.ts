import { Injectable } from '@nestjs/common';
import { PreparedStatements } from '../database/prepared-statements';
import type { GrantResponse } from '../grants/dto/grant.dto';
import type { ConnectionResponse } from './dto/connection.response';

/** A connection as `/v1` reads it: every column but the sealed credentials, with its grants. */
interface ConnectionRow {
  id: string;
  customer_id: string;
  provider: string;
  name: string;
  auth_type: string;
  status: string;
  error_message: string | null;
  scopes: string[];
  metadata_json: Record<string, unknown> | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
  updated_at: Date;
  grants: GrantResponse[];
}

/** The grants of `c`, as the API shows them, in grant order: built by PostgreSQL, one round trip for a page. */
const COLUMNS = `c.id, c.customer_id, c.provider, c.name, c.auth_type, c.status, c.error_message, c.scopes,
       c.metadata_json, c.expires_at, c.last_used_at, c.created_at, c.updated_at,
       COALESCE((SELECT json_agg(json_build_object(
                   'id', g.id, 'connection_id', g.connection_id, 'instance_id', g.instance_id,
                   'capabilities', g.capabilities,
                   'granted_at', to_char(g.granted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                   ORDER BY g.granted_at, g.id)
                   FROM grants g WHERE g.connection_id = c.id), '[]'::json) AS grants`;

/**
 * Unnamed, so planned for its customer: a generic plan, costed for the average customer, would sort
 * all 100,000 rows of a large one where the (customer_id, created_at, id) index gives them in order.
 */
export const CONNECTIONS_PAGE = {
  text: `SELECT ${COLUMNS} FROM connections c
          WHERE c.customer_id = $1 AND ($2::varchar IS NULL OR c.provider = $2) AND ($3::varchar IS NULL OR c.status = $3)
          ORDER BY c.created_at, c.id LIMIT $4 OFFSET $5`,
};

const ONE = {
  name: 'connection_by_id',
  text: `SELECT ${COLUMNS} FROM connections c WHERE c.id = $1 AND c.customer_id = $2`,
};

/** Kept by triggers: no count of a large customer's rows on every page. */
export const UNFILTERED_TOTAL = {
  name: 'connections_total',
  text: 'SELECT connections::int AS total FROM customer_connection_counts WHERE customer_id = $1',
};

const FILTERED_TOTAL = {
  text: `SELECT count(*)::int AS total FROM connections
          WHERE customer_id = $1 AND ($2::varchar IS NULL OR provider = $2) AND ($3::varchar IS NULL OR status = $3)`,
};

export interface ConnectionFilter {
  provider?: string;
  status?: string;
}

/**
 * The reads of `/v1` connections, as statements returning rows shaped for the API: a page of 100 with
 * its grants is one query, and its total another, run side by side.
 */
@Injectable()
export class ConnectionReads {
  constructor(private readonly statements: PreparedStatements) {}

  async page(customerId: string, filter: ConnectionFilter, limit: number, offset: number): Promise<{ connections: ConnectionResponse[]; total: number }> {
    const filterValues = [filter.provider ?? null, filter.status ?? null];
    const unfiltered = filter.provider === undefined && filter.status === undefined;
    const [rows, totals] = await Promise.all([
      this.statements.rows<ConnectionRow>(CONNECTIONS_PAGE, [customerId, ...filterValues, limit, offset]),
      unfiltered
        ? this.statements.rows<{ total: number }>(UNFILTERED_TOTAL, [customerId])
        : this.statements.rows<{ total: number }>(FILTERED_TOTAL, [customerId, ...filterValues]),
    ]);
    return { connections: rows.map(connectionResponse), total: totals[0]?.total ?? 0 };
  }

  async one(customerId: string, connectionId: string): Promise<ConnectionResponse | undefined> {
    const [row] = await this.statements.rows<ConnectionRow>(ONE, [connectionId, customerId]);
    return row && connectionResponse(row);
  }
}

function connectionResponse(row: ConnectionRow): ConnectionResponse {
  return {
    id: row.id,
    customer_id: row.customer_id,
    provider: row.provider,
    name: row.name,
    auth_type: row.auth_type,
    status: row.status,
    error_message: row.error_message,
    scopes: row.scopes,
    metadata_json: row.metadata_json,
    expires_at: row.expires_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    grants: row.grants,
  };
}
