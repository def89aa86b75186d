import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DATA_DIR, loadConfig } from '../../config/app-config';
import { dataSourceOptions } from '../../database/data-source-options';
import { connectEmbeddedPostgres } from '../../database/embedded-postgres';
import { configuredSealer } from '../../crypto/credential-sealer';
import { rotateDataKeys } from '../../crypto/key-rotation';
import { ENTITIES } from '../../entities';

/**
 * `npm run keys:rotate`, in the service's environment: re-wraps every data key under ENCRYPTION_KEY.
 * Afterwards the keys of ENCRYPTION_PREVIOUS_KEYS may be dropped. Exits 1 if any row failed to open.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const embedded = config.databaseUrl === undefined ? await connectEmbeddedPostgres(join(DATA_DIR, 'postgres')) : undefined;
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl ?? embedded!.url, ENTITIES));
  await dataSource.initialize();
  try {
    const sealer = configuredSealer(config);
    const report = await rotateDataKeys(dataSource, sealer, {
      onBatch: (progress) => console.log(`re-wrapped ${progress.rewrapped} data keys so far`),
    });
    console.log(`done: ${report.rewrapped} data keys re-wrapped under key "${config.activeKey.id}"`);
    if (report.failed.length > 0) {
      console.error(`${report.failed.length} sealed rows (connections, webhooks) did not open (altered, or their master key is not configured): ${report.failed.join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`keys:rotate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
