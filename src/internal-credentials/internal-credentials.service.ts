import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail';
import type { CredentialsRead } from '../audit/credentials-read';
import { invalidCredentials } from '../auth/credentials';
import { AppConfig } from '../config/app-config';
import { CredentialSealer } from '../crypto/credential-sealer';
import { LastUsedRecorder } from '../database/last-used-recorder';
import { CodedProblem, ValidationProblem } from '../http/problems';
import type { Principal } from '../http/request-context';
import { isUuid, uuidPathValue } from '../http/uuid-param';
import type { FetchedCredentialsResponse } from './dto/fetched-credentials.response';
import { decideFetch } from './fetch-decision';
import { FetchLookups, type GrantedConnectionRow } from './fetch-lookup';
import { checkFetchQuery, type FetchQuery } from './fetch-query';

/**
 * The runtime fetch, on the hot path of every agent action, read top to bottom as its rules:
 * 1. one statement finds the instance holding the proxy key and its granted connections of the provider;
 * 2. no instance, or another instance than the path's: 401 (then a malformed path or query: 422);
 * 3. the decision (`decideFetch`): 404, 409 ambiguous, 403 capability, 409 revoked, or serve;
 * 4. open the credentials, record the use (`last_used_at`, batched off the response path), answer;
 * 5. every outcome of a key that matched an instance is an audit event (`credentials.read`), committed
 *    before the answer leaves: a 200 only once its event is, else a 503.
 */
@Injectable()
export class InternalCredentialsService {
  private readonly skewMs: number;

  constructor(
    private readonly lookups: FetchLookups,
    private readonly sealer: CredentialSealer,
    private readonly lastUsed: LastUsedRecorder,
    private readonly audit: AuditTrail,
    config: AppConfig,
  ) {
    this.skewMs = config.oauthRefreshSkewMs;
  }

  async fetch(principal: Principal, pathInstanceId: unknown, rawQuery: Record<string, unknown>): Promise<FetchedCredentialsResponse> {
    const read: CredentialsRead = {};
    let response: FetchedCredentialsResponse;
    try {
      response = await this.answer(principal, pathInstanceId, rawQuery, read);
    } catch (error) {
      await this.audit.recordRead(read, error);
      throw error;
    }
    await this.audit.recordRead(read);
    return response;
  }

  /** The fetch's answer; `read` learns whose credentials were asked for as the fetch finds out. */
  private async answer(principal: Principal, pathInstanceId: unknown, rawQuery: Record<string, unknown>, read: CredentialsRead): Promise<FetchedCredentialsResponse> {
    const checked = checkFetchQuery(rawQuery);
    const now = new Date();
    // Invalid parameters find nothing, but the key is still verified first: an unknown key is a 401 whatever else is wrong.
    const lookup = await this.lookups.find(principal.proxyKeyHash!, checked.valid.provider ?? null, checked.valid.name ?? null, new Date(now.getTime() + this.skewMs));
    if (!lookup.instance) throw invalidCredentials();
    Object.assign(read, { customerId: lookup.instance.customerId, instanceId: lookup.instance.id, provider: checked.valid.provider, capability: checked.valid.capability });
    if (isUuid(pathInstanceId) && pathInstanceId.toLowerCase() !== lookup.instance.id) throw invalidCredentials();
    principal.instanceId = lookup.instance.id;
    principal.customerId = lookup.instance.customerId;
    uuidPathValue(pathInstanceId, 'instance_id');
    if (checked.issues.length > 0) throw new ValidationProblem(checked.issues);
    const query = checked.valid as FetchQuery;

    const decision = decideFetch(query, lookup.connections, now, this.skewMs);
    if (lookup.connections.length === 1) read.connectionId = lookup.connections[0].id;
    switch (decision.outcome) {
      case 'not_found':
        throw new NotFoundException(`No ${query.provider} connection${query.name === undefined ? '' : ' with this name'} is granted to this instance`);
      case 'ambiguous':
        throw new ConflictException(`Several ${query.provider} connections are granted to this instance: pass name to choose one`);
      case 'forbidden':
        throw new ForbiddenException(`The grant does not include the capability ${query.capability}`);
      case 'revoked':
        throw new CodedProblem(409, 'The provider revoked this connection\u2019s refresh token: store new credentials with PATCH', 'connection_revoked');
      case 'serve':
        return this.serve(decision.row, decision.expired ? 'expired' : decision.row.status);
    }
  }

  private serve(row: GrantedConnectionRow, status: string): FetchedCredentialsResponse {
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
      status,
      expires_at: row.expires_at?.toISOString() ?? null,
    };
  }
}
