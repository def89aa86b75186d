import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { AppLogger } from '../logging/logger';
import { APP_LOGGER } from '../logging/logger';
import { RequestMetrics } from '../metrics/request-metrics';
import { HttpExceptionFilter } from './http-exception.filter';
import { parseJsonBody } from './json-body';
import type { AppRequest } from './request-context';
import { logRequest } from './request-log';
import { StrictValidationPipe } from './validation';

/**
 * The global pieces, applied alike by `main.ts` and the test harness so tests run the production
 * wiring: request ids, the request log line and metrics, the FastAPI-shaped errors, validation and
 * JSON-only bodies.
 */
export function configureApp(app: NestFastifyApplication): void {
  const logger = app.get<AppLogger>(APP_LOGGER);
  const fastify = app.getHttpAdapter().getInstance();

  // JSON only: every other content type is a 415 in the error shape, never parsed. JSON bodies are
  // parsed by our own parser, which refuses what JSON.parse would change or later walks could not bear.
  fastify.removeContentTypeParser(['text/plain', 'application/json']);
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJsonBody);

  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request: AppRequest, reply: FastifyReply, done) => {
    logRequest(logger, request, reply);
    done();
  });
  app.get(RequestMetrics).attach(fastify);

  app.useGlobalFilters(new HttpExceptionFilter(logger));
  app.useGlobalPipes(new StrictValidationPipe());
}
