import { UnauthorizedException } from '@nestjs/common';
import type { AppRequest } from '../http/request-context';

/** The credential a request presents: `X-Api-Key` when present, else the `Authorization: Bearer` token. */
export function presentedCredential(request: AppRequest, allowApiKeyHeader: boolean): string {
  const apiKey = request.headers['x-api-key'];
  if (allowApiKeyHeader && apiKey !== undefined) {
    if (typeof apiKey !== 'string' || apiKey.trim() === '') throw invalidCredentials();
    return apiKey.trim();
  }
  const authorization = request.headers.authorization;
  if (authorization === undefined) throw new UnauthorizedException('Not authenticated');
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (!match) throw invalidCredentials();
  return match[1];
}

/** One answer for every credential that is malformed, unknown, revoked, expired or of the wrong kind. */
export function invalidCredentials(): UnauthorizedException {
  return new UnauthorizedException('Invalid or expired credentials');
}
