import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { CredentialSealer } from '../crypto/credential-sealer';
import { LastUsedRecorder } from '../database/last-used-recorder';
import { PreparedStatements } from '../database/prepared-statements';
import type { FetchedCredentialsResponse } from './dto/fetched-credentials.response';
import type { FetchQuery } from './fetch-query';

interface GrantedConnectionRow {
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

/** The instance's granted connections of a provider (and name): at most two, enough to tell "ambiguous". */
const GRANTED_CONNECTIONS = {
  name: 'granted_connections',
  text: `SELECT c.id, c.customer_id, c.provider, c.name, c.auth_type, c.expires_at,
                c.credentials_ciphertext, c.credentials_nonce, c.wrapped_data_key, c.key_id, g.capabilities
           FROM grants g
           JOIN connections c ON c.id = g.connection_id
          WHERE g.instance_id = $1 AND c.customer_id = $2 AND c.provider = $3
            AND ($4::varchar IS NULL OR c.name = $4)
          LIMIT 2`,
};

/**
 * The runtime fetch, on the hot path of every agent action: one query, one unwrap, one open; the
 * `last_used_at` write is batched off the response path.
 */
@Injectable()
export class InternalCredentialsService {
  constructor(
    private readonly statements: PreparedStatements,
    private readonly sealer: CredentialSealer,
    private readonly lastUsed: LastUsedRecorder,
  ) {}

  async fetch(customerId: string, instanceId: string, query: FetchQuery): Promise<FetchedCredentialsResponse> {
    const rows = await this.statements.rows<GrantedConnectionRow>(GRANTED_CONNECTIONS, [
      instanceId,
      customerId,
      query.provider,
      query.name ?? null,
    ]);
    if (rows.length === 0) {
      throw new NotFoundException(`No ${query.provider} connection${query.name === undefined ? '' : ' with this name'} is granted to this instance`);
    }
    if (rows.length > 1) {
      throw new ConflictException(`Several ${query.provider} connections are granted to this instance: pass name to choose one`);
    }
    const [row] = rows;
    if (query.capability !== undefined && !row.capabilities.includes(query.capability)) {
      throw new ForbiddenException(`The grant does not include the capability ${query.capability}`);
    }
    const credentials = this.sealer.open(
      { ciphertext: row.credentials_ciphertext, nonce: row.credentials_nonce, wrappedDataKey: row.wrapped_data_key, keyId: row.key_id },
      { connectionId: row.id, customerId: row.customer_id },
    );
    this.lastUsed.touch('connections', row.id);
    return {
      credentials,
      capabilities: row.capabilities,
      connection_id: row.id,
      provider: row.provider,
      name: row.name,
      auth_type: row.auth_type,
      expires_at: row.expires_at?.toISOString() ?? null,
    };
  }
}
