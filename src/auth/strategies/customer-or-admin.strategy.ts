import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { AppConfig } from '../../config/app-config';
import { LastUsedRecorder } from '../../last-used/last-used-recorder';
import { PipelinedStatements } from '../../database/pipelined-statements';
import type { AppRequest, Principal } from '../../http/request-context';
import { isUuid } from '../../http/uuid-param';
import { presentedCredential, invalidCredentials } from '../credentials';
import { JwtVerifier, looksLikeJwt } from '../jwt-verifier';
import { CUSTOMER_OR_ADMIN_STRATEGY } from '../strategy-names';
import { API_KEY_PREFIX, hasKeyShape, hashesEqual, hashSecretKey } from '../secret-keys';

export const API_KEY_BY_HASH = {
  name: 'api_key_by_hash',
  text: 'SELECT id, customer_id FROM api_keys WHERE key_hash = $1',
};

/**
 * Who may call `/v1`: the admin (`ADMIN_API_KEY`, or a JWT with the `admin` role) or a customer (one of
 * its API keys, or a JWT whose `customer_id` claim names it). Proxy keys are unknown credentials here.
 */
@Injectable()
export class CustomerOrAdminStrategy extends PassportStrategy(Strategy, CUSTOMER_OR_ADMIN_STRATEGY) {
  /** Hashed once: every request's credential is hashed once and compared with it in constant time. */
  private readonly adminKeyHash: Buffer | undefined;

  constructor(
    config: AppConfig,
    private readonly jwt: JwtVerifier,
    private readonly statements: PipelinedStatements,
    private readonly lastUsed: LastUsedRecorder,
  ) {
    super();
    this.adminKeyHash = config.adminApiKey === undefined ? undefined : hashSecretKey(config.adminApiKey);
  }

  async validate(request: AppRequest): Promise<Principal> {
    const credential = presentedCredential(request, true);
    const credentialHash = hashSecretKey(credential);
    if (this.adminKeyHash !== undefined && hashesEqual(this.adminKeyHash, credentialHash)) {
      return { kind: 'admin', scheme: 'admin_key' };
    }
    if (hasKeyShape(credential, API_KEY_PREFIX)) return this.byApiKey(credentialHash);
    const fromAuthorizationHeader = request.headers['x-api-key'] === undefined;
    if (fromAuthorizationHeader && looksLikeJwt(credential)) return this.byJwt(credential);
    throw invalidCredentials();
  }

  private async byApiKey(keyHash: Buffer): Promise<Principal> {
    const [row] = await this.statements.rows<{ id: string; customer_id: string }>(API_KEY_BY_HASH, [keyHash]);
    // The statement matched the hash by equality in the index: no second comparison here.
    if (!row) throw invalidCredentials();
    this.lastUsed.touch('api_keys', row.id);
    return { kind: 'customer', scheme: 'api_key', customerId: row.customer_id, apiKeyId: row.id };
  }

  private async byJwt(token: string): Promise<Principal> {
    const claims = await this.jwt.verify(token);
    if (!claims) throw invalidCredentials();
    const roles = claims.roles;
    const subject = typeof claims.sub === 'string' ? claims.sub : undefined;
    if (Array.isArray(roles) && roles.includes('admin')) return { kind: 'admin', scheme: 'jwt', subject };
    if (isUuid(claims.customer_id)) return { kind: 'customer', scheme: 'jwt', customerId: claims.customer_id.toLowerCase(), subject };
    throw invalidCredentials();
  }
}
