import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DATA_DIR, loadConfig } from '../../config/app-config';
import { dataSourceOptions } from '../../database/data-source-options';
import { connectEmbeddedPostgres } from '../../database/embedded-postgres';
import { configuredSealer } from '../../crypto/credential-sealer';
import { rotateDataKeys } from '../../crypto/key-rotation';
import { ENTITIES } from '../../entities';
import { RotationProgress } from '../../crypto/rotation-progress';

/**
 * `npm run keys:rotate`, in the service's environment: re-wraps every data key of every sealed table
 * under ENCRYPTION_KEY, showing progress. Afterwards the keys of ENCRYPTION_PREVIOUS_KEYS may be
 * dropped, unless it exits 1: a row did not open, or rows were still under another key at the end.
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const embedded = config.databaseUrl === undefined ? await connectEmbeddedPostgres(join(DATA_DIR, 'postgres')) : undefined;
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl ?? embedded!.url, ENTITIES));
  await dataSource.initialize();
  try {
    const progress = new RotationProgress(process.stdout);
    const report = await rotateDataKeys(dataSource, configuredSealer(config), { onProgress: (table) => progress.update(table) });
    const summary = { rewrapped: report.rewrapped, failed: report.failed.length, remaining: report.remaining, key_id: config.activeKey.id };
    if (process.stdout.isTTY) {
      console.log(`done: ${report.rewrapped} data keys re-wrapped under key "${config.activeKey.id}"`);
    } else {
      console.log(JSON.stringify({ event: 'done', ...summary }));
    }
    if (report.failed.length > 0) {
      console.error(`${report.failed.length} rows did not open (altered, or their master key is not configured): ${report.failed.join(', ')}`);
    }
    if (report.remaining > 0) {
      console.error(
        `${report.remaining} rows are still under another master key than "${config.activeKey.id}" (those that did not open, and any written ` +
          'meanwhile by a service still sealing under an old key): keep the previous keys, and run keys:rotate again once every replica runs with the new key',
      );
    }
    return report.failed.length > 0 || report.remaining > 0 ? 1 : 0;
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

// process.exit, not process.exitCode: embedded-postgres (loaded with it) exits 0 on `beforeExit`.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`keys:rotate failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
