import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail';
import { type Caller, instanceCaller } from '../audit/caller';
import type { CredentialsRead } from '../audit/credentials-read';
import { invalidCredentials } from '../auth/credentials';
import { AppConfig } from '../config/app-config';
import { CredentialSealer, type SealedCredentials } from '../crypto/credential-sealer';
import { LastUsedRecorder } from '../last-used/last-used-recorder';
import { CodedProblem, ValidationProblem } from '../http/problems';
import type { Principal } from '../http/request-context';
import { isUuid, uuidPathValue } from '../http/uuid-param';
import type { FetchedCredentialsResponse } from './dto/fetched-credentials.response';
import { RefreshEngine } from '../token-refresh/refresh-engine';
import { afterFailedRefresh, decideFetch } from './fetch-decision';
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
    private readonly refresher: RefreshEngine,
    private readonly audit: AuditTrail,
    config: AppConfig,
  ) {
    this.skewMs = config.oauthRefreshSkewMs;
  }

  /** `requestId`: the request's, for its audit event (and a refresh's, when the fetch waits for one). */
  async fetch(principal: Principal, requestId: string, pathInstanceId: unknown, rawQuery: Record<string, unknown>): Promise<FetchedCredentialsResponse> {
    const read: CredentialsRead = {};
    let response: FetchedCredentialsResponse;
    try {
      response = await this.answer(principal, requestId, pathInstanceId, rawQuery, read);
    } catch (error) {
      await this.audit.recordRead(read, requestId, error);
      throw error;
    }
    await this.audit.recordRead(read, requestId);
    return response;
  }

  /** The fetch's answer; `read` learns whose credentials were asked for as the fetch finds out. */
  private async answer(principal: Principal, requestId: string, pathInstanceId: unknown, rawQuery: Record<string, unknown>, read: CredentialsRead): Promise<FetchedCredentialsResponse> {
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
        throw revokedProblem();
      case 'serve':
        if (decision.refresh) return this.serveRefreshed(decision.row, now, instanceCaller(lookup.instance.id, requestId));
        return this.serve(decision.row, decision.row, decision.expired ? 'expired' : decision.row.status);
    }
  }

  /**
   * A token due for a refresh: refreshed first (exactly once, whoever else asks), unless the connection
   * is backing off after a failure, which a fetch never bypasses. Then the new credentials; or the
   * stored ones while they are still valid; or a 503 that says when to try again.
   */
  private async serveRefreshed(row: GrantedConnectionRow, now: Date, by: Caller): Promise<FetchedCredentialsResponse> {
    const backingOff = row.next_refresh_at !== null && row.next_refresh_at > now;
    const state = backingOff ? undefined : await this.refresher.refresh(row.id, 'fetch', by, row.credentials_version);
    if (!backingOff && state === undefined) throw new NotFoundException(`No ${row.provider} connection is granted to this instance`);
    if (state?.status === 'revoked') throw revokedProblem();
    if (state && state.credentialsVersion !== row.credentials_version) {
      return this.serve(row, { ...state.sealed, expires_at: state.expiresAt }, state.status);
    }
    const expiresAt = state?.expiresAt ?? row.expires_at;
    if (state && !state.refreshable) return this.serve(row, row, expiresAt !== null && expiresAt <= now ? 'expired' : state.status);
    const after = afterFailedRefresh(expiresAt, state?.nextAttemptAt ?? row.next_refresh_at, now);
    if (after.serve) return this.serve(row, row, state?.status ?? row.status);
    throw new CodedProblem(503, 'The token has expired and could not be refreshed yet; try again after Retry-After seconds', undefined, {
      'Retry-After': String(after.retryAfterSeconds),
    });
  }

  private serve(row: GrantedConnectionRow, sealed: SealedRow, status: string): FetchedCredentialsResponse {
    const credentials = this.sealer.open(
      'ciphertext' in sealed
        ? sealed
        : { ciphertext: sealed.credentials_ciphertext, nonce: sealed.credentials_nonce, wrappedDataKey: sealed.wrapped_data_key, keyId: sealed.key_id },
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
      expires_at: sealed.expires_at?.toISOString() ?? null,
    };
  }
}

/** The sealed credentials as the lookup row holds them, or as a refresh left them. */
type SealedRow = GrantedConnectionRow | (SealedCredentials & { expires_at: Date | null });

function revokedProblem(): CodedProblem {
  return new CodedProblem(409, 'The provider refused this connection\u2019s refresh token: store new credentials with PATCH', 'connection_revoked');
}
