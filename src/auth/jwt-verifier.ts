import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { AppConfig } from '../config/app-config';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export function looksLikeJwt(value: string): boolean {
  return value.length < 8192 && JWT_SHAPE.test(value);
}

/**
 * Verifies bearer JWTs: HS256 with `JWT_SECRET` (its UTF-8 bytes, as given), or the asymmetric keys of
 * `JWT_JWKS_URL`. `exp` is required; `iss`/`aud` are checked when configured; `alg: none` and any
 * algorithm not configured are refused. Returns undefined for every invalid token.
 */
@Injectable()
export class JwtVerifier {
  private readonly secret: Uint8Array | undefined;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly options: JWTVerifyOptions;

  constructor(config: AppConfig) {
    this.secret = config.jwtSecret === undefined ? undefined : new TextEncoder().encode(config.jwtSecret);
    this.jwks = config.jwtJwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(config.jwtJwksUrl));
    this.options = {
      requiredClaims: ['exp'],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      clockTolerance: 5,
    };
  }

  get enabled(): boolean {
    return this.secret !== undefined || this.jwks !== undefined;
  }

  async verify(token: string): Promise<JWTPayload | undefined> {
    let algorithm: string | undefined;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      return undefined;
    }
    try {
      if (algorithm === 'HS256' && this.secret) {
        return (await jwtVerify(token, this.secret, { ...this.options, algorithms: ['HS256'] })).payload;
      }
      if (algorithm !== undefined && ASYMMETRIC_ALGORITHMS.includes(algorithm) && this.jwks) {
        return (await jwtVerify(token, this.jwks, { ...this.options, algorithms: ASYMMETRIC_ALGORITHMS })).payload;
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
}
