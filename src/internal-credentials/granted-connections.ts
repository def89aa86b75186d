import { Injectable } from '@nestjs/common';
import { PipelinedStatements } from '../database/pipelined-statements';
import type { AppRequest } from '../http/request-context';

export interface GrantedConnectionRow {
  id: string;
  customer_id: string;
  provider: string;
  name: string;
  auth_type: string;
  expires_at: Date | null;
  credentials_ciphertext: Buffer;
  credentials_nonce: Buffer;
  wrapped_data_key: Buffer;
  key_id: string;
  capabilities: string[];
}

/** The fetch's request: the proxy-key strategy, which authenticates and looks up in one round trip, sets its granted connections. */
export type FetchRequest = AppRequest & { grantedConnections?: GrantedConnectionRow[] };

export interface ProxyKeyLookup {
  instance: { id: string; customerId: string };
  /** The instance's granted connections of the asked provider (and name): at most two, enough to tell "ambiguous". */
  connections: GrantedConnectionRow[];
}

/**
 * The instance that holds a proxy key, with its granted connections of a provider, in one statement:
 * the hot path pays one round trip for authentication and lookup together. With no provider (a request
 * about to fail validation) it still authenticates, and finds no connection. The grants are found by
 * `(instance_id, provider)` and each names its connection, so the cost is the same for a customer with
 * ten connections and one with 100,000 (see the migration GrantsProvider).
 */
export const PROXY_KEY_LOOKUP = {
  name: 'proxy_key_lookup',
  text: `SELECT i.id AS instance_id, i.customer_id AS instance_customer_id,
                x.id, x.customer_id, x.provider, x.name, x.auth_type, x.expires_at,
                x.credentials_ciphertext, x.credentials_nonce, x.wrapped_data_key, x.key_id, x.capabilities
           FROM instances i
           LEFT JOIN LATERAL (
                SELECT c.id, c.customer_id, c.provider, c.name, c.auth_type, c.expires_at,
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
export class GrantedConnections {
  constructor(private readonly statements: PipelinedStatements) {}

  /** Undefined when no instance holds this key. */
  async forProxyKey(proxyKeyHash: Buffer, provider: string | null, name: string | null): Promise<ProxyKeyLookup | undefined> {
    const rows = await this.statements.rows<LookupRow>(PROXY_KEY_LOOKUP, [proxyKeyHash, provider, name]);
    if (rows.length === 0) return undefined;
    const [first] = rows;
    return {
      instance: { id: first.instance_id, customerId: first.instance_customer_id },
      connections: first.id === null ? [] : rows,
    };
  }
}
