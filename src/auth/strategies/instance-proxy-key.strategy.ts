import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { PreparedStatements } from '../../database/prepared-statements';
import type { AppRequest, Principal } from '../../http/request-context';
import { isUuid } from '../../http/uuid-param';
import { invalidCredentials, presentedCredential } from '../credentials';
import { PROXY_KEY_PREFIX, hasKeyShape, hashesEqual, hashSecretKey } from '../secret-keys';

export const INSTANCE_STRATEGY = 'instance-proxy-key';

const INSTANCE_BY_PROXY_KEY_HASH = {
  name: 'instance_by_proxy_key_hash',
  text: 'SELECT id, customer_id, proxy_key_hash FROM instances WHERE proxy_key_hash = $1',
};

/**
 * An agent runtime: `Authorization: Bearer <proxy key>`, which must be the current key of the instance
 * in the path. A key of another instance is as unknown here as no key at all (401).
 */
@Injectable()
export class InstanceProxyKeyStrategy extends PassportStrategy(Strategy, INSTANCE_STRATEGY) {
  constructor(private readonly statements: PreparedStatements) {
    super();
  }

  async validate(request: AppRequest): Promise<Principal> {
    const key = presentedCredential(request, false);
    if (!hasKeyShape(key, PROXY_KEY_PREFIX)) throw invalidCredentials();
    const keyHash = hashSecretKey(key);
    const [row] = await this.statements.rows<{ id: string; customer_id: string; proxy_key_hash: Buffer }>(
      INSTANCE_BY_PROXY_KEY_HASH,
      [keyHash],
    );
    if (!row || !hashesEqual(row.proxy_key_hash, keyHash)) throw invalidCredentials();
    const pathInstanceId = (request.params as Record<string, string | undefined>).instance_id;
    // A malformed id goes on to the parameter pipe, which answers 422 at path.instance_id.
    if (isUuid(pathInstanceId) && pathInstanceId.toLowerCase() !== row.id) throw invalidCredentials();
    return { kind: 'instance', scheme: 'proxy_key', customerId: row.customer_id, instanceId: row.id };
  }
}
