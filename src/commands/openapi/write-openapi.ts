import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createApp } from '../../bootstrap';
import { DATA_DIR, loadConfig } from '../../config/app-config';
import { connectEmbeddedPostgres } from '../../database/embedded-postgres';
import { createLogger } from '../../logging/logger';
import { buildOpenApiDocument } from '../../openapi/openapi';

const OUTPUT_FILE = resolve(process.cwd(), 'openapi.json');

/**
 * `npm run openapi`: writes the document the server serves to `openapi.json`, where it is committed and
 * reviewed like code. The app is built exactly as `main.ts` builds it (TypeORM connects on start-up, so
 * it needs `DATABASE_URL` or the embedded PostgreSQL), but never listens.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('warn');
  const embedded = config.databaseUrl === undefined ? await connectEmbeddedPostgres(join(DATA_DIR, 'postgres')) : undefined;
  try {
    const app = await createApp(config, logger, config.databaseUrl ?? embedded!.url);
    try {
      writeFileSync(OUTPUT_FILE, JSON.stringify(buildOpenApiDocument(app), null, 2) + '\n');
    } finally {
      await app.close();
    }
  } finally {
    await embedded?.stop();
  }
  console.log(`wrote ${OUTPUT_FILE}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
