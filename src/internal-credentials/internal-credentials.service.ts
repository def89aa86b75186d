import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { CredentialSealer } from '../crypto/credential-sealer';
import { LastUsedRecorder } from '../last-used/last-used-recorder';
import type { FetchedCredentialsResponse } from './dto/fetched-credentials.response';
import type { FetchQuery } from './fetch-query';
import type { GrantedConnectionRow } from './granted-connections';

/**
 * The runtime fetch, on the hot path of every agent action. The proxy-key strategy has already found
 * the granted connections of the asked provider (one round trip with authentication); this decides
 * among them, opens the credentials, and batches the `last_used_at` write off the response path.
 */
@Injectable()
export class InternalCredentialsService {
  constructor(
    private readonly sealer: CredentialSealer,
    private readonly lastUsed: LastUsedRecorder,
  ) {}

  fetch(query: FetchQuery, granted: GrantedConnectionRow[]): FetchedCredentialsResponse {
    if (granted.length === 0) {
      throw new NotFoundException(`No ${query.provider} connection${query.name === undefined ? '' : ' with this name'} is granted to this instance`);
    }
    if (granted.length > 1) {
      throw new ConflictException(`Several ${query.provider} connections are granted to this instance: pass name to choose one`);
    }
    const [row] = granted;
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
