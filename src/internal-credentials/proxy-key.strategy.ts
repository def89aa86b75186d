import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { invalidCredentials, presentedCredential } from '../auth/credentials';
import { hasKeyShape, hashSecretKey, PROXY_KEY_PREFIX } from '../auth/secret-keys';
import { INSTANCE_STRATEGY } from '../auth/strategy-names';
import type { Principal } from '../http/request-context';
import { isUuid } from '../http/uuid-param';
import { type FetchQuery, fetchQueryIssue } from './fetch-query';
import { type FetchRequest, GrantedConnections } from './granted-connections';

/**
 * An agent runtime: `Authorization: Bearer <proxy key>`, which must be the current key of the instance
 * in the path; a key of another instance is as unknown here as no key at all (401). The instance's
 * only power is the credential fetch, so the strategy authenticates and looks up the granted
 * connections in the same statement, and hands them to the handler with the principal.
 */
@Injectable()
export class ProxyKeyStrategy extends PassportStrategy(Strategy, INSTANCE_STRATEGY) {
  constructor(private readonly grantedConnections: GrantedConnections) {
    super();
  }

  async validate(request: FetchRequest): Promise<Principal> {
    const key = presentedCredential(request, false);
    if (!hasKeyShape(key, PROXY_KEY_PREFIX)) throw invalidCredentials();
    const keyHash = hashSecretKey(key);
    const query = request.query as Record<string, unknown>;
    const lookup = await this.grantedConnections.forProxyKey(
      keyHash,
      validValue(query, 'provider'),
      validValue(query, 'name'),
    );
    // The statement matched the hash by equality in the index: no second comparison here.
    if (!lookup) throw invalidCredentials();
    const pathInstanceId = (request.params as Record<string, string | undefined>).instance_id;
    // A malformed id goes on to the handler, which answers 422 at path.instance_id.
    if (isUuid(pathInstanceId) && pathInstanceId.toLowerCase() !== lookup.instance.id) throw invalidCredentials();
    request.grantedConnections = lookup.connections;
    return { kind: 'instance', scheme: 'proxy_key', customerId: lookup.instance.customerId, instanceId: lookup.instance.id };
  }
}

/** The parameter when it is valid; anything else finds nothing, and the query pipe then explains why. */
function validValue(query: Record<string, unknown>, field: keyof FetchQuery): string | null {
  const value = query[field];
  return value !== undefined && fetchQueryIssue(field, value) === undefined ? (value as string) : null;
}
