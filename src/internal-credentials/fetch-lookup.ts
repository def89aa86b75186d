import { Injectable } from '@nestjs/common';
import { binaryTimestamptz } from '../database/binary-parameters';
import { PipelinedStatements } from '../database/pipelined-statements';

/** A connection granted to the fetching instance, with what the fetch needs to decide and to open it. */
export interface GrantedConnectionRow {
  id: string;
  customer_id: string;
  provider: string;
  name: string;
  auth_type: string;
  status: string;
  expires_at: Date | null;
  /** After a failed refresh, none before this. */
  next_refresh_at: Date | null;
  credentials_version: number;
  has_refresh_token: boolean | null;
  /** Whether the customer has an OAuth app for the provider; only looked up (non-null) for credentials due for a refresh. */
  app_exists: boolean | null;
  credentials_ciphertext: Buffer;
  credentials_nonce: Buffer;
  wrapped_data_key: Buffer;
  key_id: string;
  capabilities: string[];
}

export interface FetchLookup {
  /** The instance that holds the presented proxy key; undefined when none does (401). */
  instance?: { id: string; customerId: string };
  /** Its granted connections of the asked provider (and name): at most two, enough to tell "ambiguous". */
  connections: GrantedConnectionRow[];
}

/**
 * The instance that holds a proxy key, with its granted connections of a provider, in one statement:
 * the hot path pays one round trip for authentication and lookup together. With no provider (a request
 * about to fail validation) it still authenticates, and finds no connection. The grants are found by
 * `(instance_id, provider)` and each names its connection, so the cost is the same for a customer with
 * ten connections and one with 100,000 (see the migration GrantsProvider). Whether an OAuth app exists
 * is only asked of credentials that expire before `$4`, so a fetch that needs no refresh reads nothing more.
 */
export const FETCH_LOOKUP = {
  name: 'fetch_lookup',
  text: `SELECT i.id AS instance_id, i.customer_id AS instance_customer_id,
                x.id, x.customer_id, x.provider, x.name, x.auth_type, x.status, x.expires_at, x.next_refresh_at,
                x.credentials_version, x.has_refresh_token,
                CASE WHEN x.expires_at <= $4::timestamptz AND x.auth_type = 'oauth2'
                     THEN EXISTS (SELECT 1 FROM oauth_apps a WHERE a.customer_id = x.customer_id AND a.provider = x.provider) END AS app_exists,
                x.credentials_ciphertext, x.credentials_nonce, x.wrapped_data_key, x.key_id, x.capabilities
           FROM instances i
           LEFT JOIN LATERAL (
                SELECT c.id, c.customer_id, c.provider, c.name, c.auth_type, c.status, c.expires_at, c.next_refresh_at,
                       c.credentials_version, c.has_refresh_token,
                       c.credentials_ciphertext, c.credentials_nonce, c.wrapped_data_key, c.key_id, g.capabilities
                  FROM grants g
                  JOIN connections c ON c.id = g.connection_id
                 WHERE g.instance_id = i.id AND g.provider = $2
                   AND c.customer_id = i.customer_id AND ($3::varchar IS NULL OR c.name = $3)
                 LIMIT 2) x ON true
          WHERE i.proxy_key_hash = $1`,
};

type LookupRow = GrantedConnectionRow & { instance_id: string; instance_customer_id: string };

@Injectable()
export class FetchLookups {
  constructor(private readonly statements: PipelinedStatements) {}

  /** `refreshBefore`: credentials expiring before it are due for a refresh, so the lookup also says whether an app could do it. */
  async find(proxyKeyHash: Buffer, provider: string | null, name: string | null, refreshBefore: Date): Promise<FetchLookup> {
    const rows = await this.statements.rows<LookupRow>(FETCH_LOOKUP, [proxyKeyHash, provider, name, binaryTimestamptz(refreshBefore)]);
    if (rows.length === 0) return { connections: [] };
    const [first] = rows;
    return {
      instance: { id: first.instance_id, customerId: first.instance_customer_id },
      connections: first.id === null ? [] : rows,
    };
  }
}
