import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AppLogger } from '../logging/logger';
import { logRequest } from './request-log';

export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** What fastify's router refuses before any hook or filter runs; the detail never quotes the path. */
const ROUTER_ERRORS: Record<string, { status: number; detail: string }> = {
  FST_ERR_BAD_URL: { status: 400, detail: 'Malformed URL' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, detail: 'A path parameter is too long' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, detail: 'Malformed request' },
};

/** The caller's `X-Request-Id` when it is a sane token, else a new UUID. */
function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}

/**
 * Fastify, chosen over Express for the fetch path (docs/performance.md). Bodies over 1 MiB are
 * refused before they are read; `__proto__`/`constructor` keys are kept as plain data so that the
 * validation pipe can name them in a 422 (nothing ever merges a body into an object).
 */
export function createFastifyAdapter(logger: AppLogger): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestIdOf,
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // Long enough that a malformed id reaches validation (422) rather than the router's 414.
    routerOptions: { maxParamLength: 512 },
    // Bad percent-escapes and over-long parameters never reach the hooks or the exception filter.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { status, detail } = ROUTER_ERRORS[error.code] ?? { status: 400, detail: 'Bad request' };
      void reply.code(status).header('X-Request-Id', request.id).header('Content-Type', 'application/json; charset=utf-8').send({ detail });
      logRequest(logger, request, reply);
    },
    logger: false,
    // While it shuts down, a request that arrives on a connection still open is served, with
    // `Connection: close`, rather than answered 503: it was sent before the client could know
    // (see graceful-shutdown.ts). New connections are refused by then.
    return503OnClosing: false,
  });
}
