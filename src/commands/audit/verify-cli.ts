import { join } from 'node:path';
import { Client } from 'pg';
import { DATA_DIR, loadConfig } from '../../config/app-config';
import { connectEmbeddedPostgres } from '../../database/embedded-postgres';
import { AuditKeys } from '../../audit/audit-mac';
import { verifyAuditTrail } from '../../audit/audit-verifier';

/**
 * `npm run audit:verify` (same environment as the service: DATABASE_URL and the master keys): checks
 * the whole audit trail and exits 0 when it is intact, 1 naming the first bad event or seal, 2 when it
 * could not run.
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const embedded = config.databaseUrl === undefined ? await connectEmbeddedPostgres(join(DATA_DIR, 'postgres')) : undefined;
  const client = new Client({ connectionString: config.databaseUrl ?? embedded!.url, application_name: 'hydracore-audit-verify' });
  await client.connect();
  try {
    const started = Date.now();
    const result = await verifyAuditTrail(client, new AuditKeys(config.activeKey, config.previousKeys));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    let exitCode = 0;
    if (result.ok) {
      console.log(`audit trail intact: ${result.sealedEvents} sealed events in ${result.seals} seals (pruned through seq ${result.prunedThroughSeq}), verified in ${seconds} s`);
      if (result.unsealedEvents > 0) {
        console.log(`${result.unsealedEvents} newer events not yet sealed (oldest ${result.oldestUnsealedAt?.toISOString()}): their own MACs match`);
        // The sealer seals within a few seconds: an older tail means no service is sealing, and a deletion there would go unseen.
        if (result.oldestUnsealedAt !== null && Date.now() - result.oldestUnsealedAt.getTime() > 60_000) {
          console.log('warning: some have waited over a minute: is a service running (its sealer chains new events)?');
        }
      }
    } else {
      console.error(`audit trail FAILED verification: ${result.problem}`);
      exitCode = 1;
    }
    return exitCode;
  } finally {
    await client.end();
    await embedded?.stop();
  }
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    console.error(`audit:verify could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
