import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FastifyAdapter } from '@nestjs/platform-fastify';

export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `X-Request-Id` when it is a sane token, else a new UUID. */
function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}

/**
 * Fastify, chosen over Express for the fetch path (see README, "Performance"). Bodies over 1 MiB are
 * refused before they are read; `__proto__`/`constructor` keys are kept as plain data so that the
 * validation pipe can name them in a 422 (nothing ever merges a body into an object).
 */
export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestIdOf,
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // Long enough that a malformed id reaches validation (422) rather than the router's 414.
    routerOptions: { maxParamLength: 512 },
    logger: false,
    return503OnClosing: true,
  });
}
