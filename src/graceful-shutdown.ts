import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Readiness } from './health/readiness';
import type { AppLogger } from './logging/logger';

/**
 * The delay and the time requests in flight get to finish, together, before their connections are
 * closed under them: the flush and the exit then fit in the contract's 10 s.
 */
export const DRAIN_BUDGET_MS = 6_000;

/**
 * Stops the service without losing work, in this order:
 * 1. `/health/ready` answers 503, and for `delayMs` (SHUTDOWN_DELAY_MS) the service goes on serving;
 * 2. the HTTP server stops accepting connections and closes the idle ones; requests in flight finish
 *    (a request arriving on a busy keep-alive connection is still served, with `Connection: close`),
 *    and after the rest of DRAIN_BUDGET_MS the connections still open are closed;
 * 3. `app.close()`: the providers' `beforeApplicationShutdown` hooks run with no request left and the
 *    database still open, which is where pending writes are flushed (`LastUsedRecorder`, and any
 *    other writer that keeps work in memory: implement `beforeApplicationShutdown` and await it
 *    there); then `onApplicationShutdown` hooks, and the database connections close.
 * Nest's own `app.close()` alone runs the hooks of step 3 before it closes the HTTP server, so a
 * request still in flight could record a use after the flush.
 */
export async function shutDownGracefully(
  app: NestFastifyApplication,
  logger: AppLogger,
  { delayMs, drainTimeoutMs = DRAIN_BUDGET_MS - delayMs }: { delayMs: number; drainTimeoutMs?: number },
): Promise<void> {
  app.get(Readiness).markShuttingDown();
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  const fastify = app.getHttpAdapter().getInstance();
  const forceClose = setTimeout(() => {
    logger.warn({ drain_timeout_ms: drainTimeoutMs }, 'requests still in flight after the drain timeout: closing their connections');
    fastify.server.closeAllConnections();
  }, drainTimeoutMs);
  try {
    await fastify.close();
  } finally {
    clearTimeout(forceClose);
  }
  logger.info('HTTP server closed: flushing pending writes');
  await app.close();
}
