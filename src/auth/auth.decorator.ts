import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { ApiErrors } from '../http/error-responses';
import type { AppRequest, Principal, PrincipalKind } from '../http/request-context';

export const AUTH_METADATA = 'hydracore:auth';
export const API_KEY_SCHEME = 'api_key';
export const BEARER_SCHEME = 'bearer';

/**
 * Who may call a route, in one place: applies the guard's rule and the OpenAPI security together.
 * - `admin`: `ADMIN_API_KEY` or an admin JWT;
 * - `customer`: the admin, or the customer named by the path's `customer_id`;
 * - `instance`: the proxy key of the instance named by the path's `instance_id`.
 * A route with neither `@Auth` nor `@Public` is refused by the global guard.
 */
export function Auth(kind: PrincipalKind) {
  const security =
    kind === 'instance' ? [ApiBearerAuth(BEARER_SCHEME)] : [ApiSecurity(API_KEY_SCHEME), ApiBearerAuth(BEARER_SCHEME)];
  const errors = kind === 'instance' ? ApiErrors(401, 500, 503) : ApiErrors(401, 403, 500, 503);
  return applyDecorators(SetMetadata(AUTH_METADATA, kind), ...security, errors);
}

/** A route anyone may call (health, docs). */
export function Public() {
  return SetMetadata(AUTH_METADATA, 'public');
}

/** The authenticated caller of the route. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<AppRequest>().principal!,
);
