import type { FastifyReply } from 'fastify';
import { type AppLogger, writeRequestLine } from '../logging/logger';
import type { AppRequest } from './request-context';

/**
 * One line per request, built field by field: the route pattern, never the path, query, headers or body
 * (a key pasted into a URL must not reach the log). Written as pino would, without its serializer
 * (`writeRequestLine`).
 */
export function logRequest(logger: AppLogger, request: AppRequest, reply: FastifyReply): void {
  const principal = request.principal;
  writeRequestLine(logger, {
    req_id: request.id,
    method: request.method,
    route: request.routeOptions.url ?? null,
    status: reply.statusCode,
    duration_ms: Math.round(reply.elapsedTime * 100) / 100,
    auth: principal?.scheme,
    principal: principal?.kind,
    customer_id: principal?.customerId,
    instance_id: principal?.instanceId,
  });
}
