import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { AppLogger } from '../logging/logger';
import { APP_LOGGER } from '../logging/logger';
import { HttpExceptionFilter } from './http-exception.filter';
import type { AppRequest } from './request-context';
import { StrictValidationPipe } from './validation';

/**
 * The global pieces, applied alike by `main.ts` and the test harness so tests run the production
 * wiring: request ids, the request log line, the FastAPI-shaped errors, validation and JSON-only bodies.
 */
export function configureApp(app: NestFastifyApplication): void {
  const logger = app.get<AppLogger>(APP_LOGGER);
  const fastify = app.getHttpAdapter().getInstance();

  // JSON only: every other content type is a 415 in the error shape, never parsed.
  fastify.removeContentTypeParser(['text/plain']);

  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request: AppRequest, reply: FastifyReply, done) => {
    logRequest(logger, request, reply);
    done();
  });

  app.useGlobalFilters(new HttpExceptionFilter(logger));
  app.useGlobalPipes(new StrictValidationPipe());
}

/**
 * One line per request, built field by field: the route pattern, never the path, query, headers or body
 * (a key pasted into a URL must not reach the log).
 */
function logRequest(logger: AppLogger, request: AppRequest, reply: FastifyReply): void {
  const principal = request.principal;
  logger.info(
    {
      req_id: request.id,
      method: request.method,
      route: request.routeOptions.url ?? null,
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      auth: principal?.scheme,
      principal: principal?.kind,
      customer_id: principal?.customerId,
      instance_id: principal?.instanceId,
    },
    'request',
  );
}
