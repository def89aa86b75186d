import { join } from 'node:path';
import { createApp } from './bootstrap';
import { ConfigError, DATA_DIR, loadConfig } from './config/app-config';
import { startEmbeddedPostgres, takeBackShutdownSignals } from './database/embedded-postgres';
import { shutDownGracefully } from './graceful-shutdown';
import { createLogger } from './logging/logger';

/** Under the 10 s in which the contract has the process exit after SIGTERM. */
const SHUTDOWN_DEADLINE_MS = 9_500;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (config.usingDevelopmentKey) {
    logger.warn('ENCRYPTION_KEY is not set: using the development key kept in .data/dev-encryption-key (never in production)');
  }

  let databaseUrl = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (databaseUrl === undefined) {
    logger.info('DATABASE_URL is not set: starting the embedded PostgreSQL of .data/postgres');
    const embedded = await startEmbeddedPostgres(join(DATA_DIR, 'postgres'));
    logger.info({ cluster: embedded.clusterDirectory, binaries: embedded.binariesDirectory }, 'embedded PostgreSQL started');
    databaseUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }

  const app = await createApp(config, logger, databaseUrl);
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    // The contract's 10 s: whatever still hangs then is given up, and the exit code says so.
    setTimeout(() => {
      logger.error('shutdown did not finish within 9.5 s: exiting anyway');
      logger.flush();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    let exitCode = 0;
    try {
      await shutDownGracefully(app, logger, { delayMs: config.shutdownDelayMs });
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      exitCode = 1;
    }
    await stopEmbedded?.();
    logger.info('shut down');
    logger.flush();
    process.exit(exitCode);
  };
  takeBackShutdownSignals();
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.port, host: '0.0.0.0' });
  logger.info({ port: config.port }, `HydraCore Connections listening on http://localhost:${config.port} (docs at /docs)`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
