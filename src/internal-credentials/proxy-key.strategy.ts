import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { invalidCredentials, presentedCredential } from '../auth/credentials';
import { hasKeyShape, hashSecretKey, PROXY_KEY_PREFIX } from '../auth/secret-keys';
import { INSTANCE_STRATEGY } from '../auth/strategy-names';
import type { AppRequest, Principal } from '../http/request-context';

/**
 * An agent runtime: `Authorization: Bearer <proxy key>`. The strategy refuses what cannot be a proxy
 * key and hands on its hash; which instance holds it is found by the fetch's own statement
 * (`FetchLookups`), so that authentication and the lookup cost one round trip together. The fetch
 * service answers 401 when no instance holds the key, or another instance than the path's does.
 */
@Injectable()
export class ProxyKeyStrategy extends PassportStrategy(Strategy, INSTANCE_STRATEGY) {
  constructor() {
    super();
  }

  validate(request: AppRequest): Principal {
    const key = presentedCredential(request, false);
    if (!hasKeyShape(key, PROXY_KEY_PREFIX)) throw invalidCredentials();
    return { kind: 'instance', scheme: 'proxy_key', proxyKeyHash: hashSecretKey(key) };
  }
}
