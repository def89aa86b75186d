import { join } from 'node:path';
import { createApp } from './bootstrap';
import { ConfigError, DATA_DIR, loadConfig } from './config/app-config';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { createLogger } from './logging/logger';

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
    logger.info('DATABASE_URL is not set: starting the embedded PostgreSQL in .data/postgres');
    const embedded = await startEmbeddedPostgres(join(DATA_DIR, 'postgres'));
    databaseUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }

  const app = await createApp(config, logger, databaseUrl);
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await app.close();
    await stopEmbedded?.();
    logger.flush();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.port, host: '0.0.0.0' });
  logger.info({ port: config.port }, `HydraCore Connections listening on http://localhost:${config.port} (docs at /docs)`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
