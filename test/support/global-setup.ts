import { resolve } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runPendingMigrations } from '../../src/database/migrate';
import { TEMPLATE_DATABASE, databaseUrl } from './database';

/**
 * Starts PostgreSQL once for the whole run (the embedded one under `.data/test-postgres`, or the
 * server of `DATABASE_URL`) and migrates a template database; each test file clones it.
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    // A second test run at the same time (another checkout's) needs a cluster of its own.
    const directory = process.env.HYDRACORE_TEST_PG_DIR ?? '.data/test-postgres';
    const embedded = await startEmbeddedPostgres(resolve(process.cwd(), directory));
    if (!embedded.clusterDirectory?.startsWith(process.cwd())) {
      // Moved out of a checkout the postgres user cannot enter (as root): say where it went.
      process.stdout.write(`\nembedded PostgreSQL for the tests: cluster in ${embedded.clusterDirectory}, binaries in ${embedded.binariesDirectory}\n`);
    }
    (globalThis as { __embeddedPostgres__?: { stop(): Promise<void> } }).__embeddedPostgres__ = embedded;
    serverUrl = embedded.url;
  }
  process.env.TEST_DATABASE_SERVER_URL = serverUrl;

  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  await runPendingMigrations(databaseUrl(serverUrl, TEMPLATE_DATABASE));
}
