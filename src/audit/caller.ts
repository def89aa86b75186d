import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AppRequest, Principal } from '../http/request-context';
import type { ActorKind } from './audit-event.entity';

export interface AuditActor {
  kind: ActorKind;
  /** The API key id, the instance id or the JWT's `sub`; null for the admin key and the system. */
  id: string | null;
}

/**
 * Who acts, and for which request: what an audit event records of its origin. A controller takes it
 * from its request (`@RequestCaller()`) and hands it down to the change it asks for, so that the
 * trail needs no ambient request context (an AsyncLocalStorage costs every promise of every request).
 */
export interface Caller {
  actor: AuditActor;
  /** The request's `X-Request-Id`; null for background work. */
  requestId: string | null;
}

/** Work of the service's own, in no request (the background refresher): actor `system`, no request id. */
export const SYSTEM_CALLER: Caller = { actor: { kind: 'system', id: null }, requestId: null };

/** An instance fetching in request `requestId` (the fetch knows the instance once its lookup has run). */
export function instanceCaller(instanceId: string | null, requestId: string): Caller {
  return { actor: { kind: 'instance', id: instanceId }, requestId };
}

/** The caller of a request, once the auth guard has set its principal. */
export function callerOf(request: AppRequest): Caller {
  return { actor: actorOf(request.principal), requestId: String(request.id) };
}

function actorOf(principal: Principal | undefined): AuditActor {
  switch (principal?.kind) {
    case 'admin':
      return { kind: 'admin', id: principal.subject ?? null };
    case 'customer':
      return { kind: 'customer', id: principal.apiKeyId ?? principal.subject ?? null };
    case 'instance':
      return { kind: 'instance', id: principal.instanceId ?? null };
    default:
      return { kind: 'system', id: null };
  }
}

/** The request's `Caller`, as a controller parameter: `create(@Body() body: X, @RequestCaller() by: Caller)`. */
export const RequestCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => callerOf(context.switchToHttp().getRequest<AppRequest>()));
