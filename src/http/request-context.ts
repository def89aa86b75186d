import type { FastifyRequest } from 'fastify';

export type PrincipalKind = 'admin' | 'customer' | 'instance';
export type AuthScheme = 'admin_key' | 'api_key' | 'jwt' | 'proxy_key';

/** Who is calling: set by the auth guard, read by controllers and by the request log line. */
export interface Principal {
  kind: PrincipalKind;
  scheme: AuthScheme;
  /** The customer acted for (absent for admin). */
  customerId?: string;
  instanceId?: string;
  apiKeyId?: string;
  /** A JWT's `sub` claim, when it has one. */
  subject?: string;
  /** An instance's presented proxy key, hashed: verified by the fetch's statement, which then sets `instanceId`. */
  proxyKeyHash?: Buffer;
}

export type AppRequest = FastifyRequest & {
  principal?: Principal;
};
