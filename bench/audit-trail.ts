import { randomBytes, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AuditKeys } from '../src/audit/audit-mac';
import { AuditSealer, DEFAULT_SEALER_TIMING } from '../src/audit/audit-sealer';
import { insertOf, type StoredEvent } from '../src/audit/audit-trail';
import { verifyAuditTrail } from '../src/audit/audit-verifier';
import { AppConfig } from '../src/config/app-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { connectEmbeddedPostgres } from '../src/database/embedded-postgres';
import { runPendingMigrations } from '../src/database/migrate';
import { createLogger } from '../src/logging/logger';

/**
 * The audit trail at scale, on a database of its own (`hydracore_audit_bench`, dropped first):
 * writes AUDIT_BENCH_EVENTS (default 1,000,000) credential reads as the fetch does (batches through
 * the service's insert), seals them with the service's sealer, then reports the table's size per
 * million events (pg_total_relation_size of audit_events and audit_seals) and times `audit:verify`.
 * `npm run build && node dist/bench/audit-trail.js`. Env: DATABASE_URL (else the embedded PostgreSQL
 * of `.data/postgres`).
 */
const ROOT = resolve(__dirname, '..', '..');
const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000);
const BATCH = 5_000;
const DATABASE = 'hydracore_audit_bench';

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL ? undefined : await connectEmbeddedPostgres(join(ROOT, '.data', 'postgres'));
  const serverUrl = new URL(process.env.DATABASE_URL ?? embedded!.url);
  const admin = new Client({ connectionString: serverUrl.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  serverUrl.pathname = `/${DATABASE}`;
  const url = serverUrl.toString();
  await runPendingMigrations(url);

  const config = new AppConfig({ NODE_ENV: 'test', ENCRYPTION_KEY: randomBytes(32).toString('base64'), ENCRYPTION_KEY_ID: 'bench' });
  const keys = new AuditKeys(config.activeKey, config.previousKeys);
  const dataSource = new DataSource(dataSourceOptions(url));
  await dataSource.initialize();
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    // A thousand customers with ten instances and ten connections each: the ids a real trail repeats.
    const customers = Array.from({ length: 1_000 }, () => ({ id: randomUUID(), instances: Array.from({ length: 10 }, () => randomUUID()), connections: Array.from({ length: 10 }, () => randomUUID()) }));
    let started = Date.now();
    for (let written = 0; written < EVENTS; written += BATCH) {
      const events: StoredEvent[] = [];
      for (let i = 0; i < Math.min(BATCH, EVENTS - written); i++) {
        const customer = customers[(written + i) % customers.length];
        const instance = customer.instances[i % 10];
        const fields = {
          id: randomUUID(),
          customer_id: customer.id,
          occurred_at: new Date(),
          action: 'credentials.read',
          outcome: 'success',
          status: 200,
          actor_kind: 'instance',
          actor_id: instance,
          connection_id: customer.connections[i % 10],
          instance_id: instance,
          grant_id: null,
          provider: 'gmail',
          capability: i % 2 === 0 ? 'send_mail' : null,
          request_id: randomUUID(),
        };
        events.push({ ...fields, key_id: keys.activeId, mac: keys.eventMac(keys.activeKey, fields) });
      }
      await client.query(insertOf(events));
    }
    log(`wrote ${EVENTS} events in ${seconds(started)} s`);

    started = Date.now();
    const sealer = new AuditSealer(dataSource, keys, DEFAULT_SEALER_TIMING, createLogger('warn'), config);
    await sealer.sealNow();
    log(`sealed them in ${seconds(started)} s`);

    await client.query('VACUUM (ANALYZE) audit_events, audit_seals');
    const [size] = (
      await client.query(
        `SELECT pg_total_relation_size('audit_events') AS events, pg_relation_size('audit_events') AS heap, pg_indexes_size('audit_events') AS indexes, pg_total_relation_size('audit_seals') AS seals`,
      )
    ).rows;
    const perMillion = (bytes: string) => Math.round((Number(bytes) / EVENTS) * 1_000_000);
    log(
      `size per million events: ${mib(perMillion(size.events))} MiB in audit_events (heap ${mib(perMillion(size.heap))}, indexes ${mib(perMillion(size.indexes))}) + ${mib(perMillion(size.seals))} MiB of seals; ${Math.round(Number(size.events) / EVENTS)} bytes per event`,
    );

    started = Date.now();
    const verifier = new Client({ connectionString: url });
    await verifier.connect();
    const result = await verifyAuditTrail(verifier, keys);
    await verifier.end();
    log(`audit:verify of ${EVENTS} events: ${seconds(started)} s, ${JSON.stringify(result)}`);
  } finally {
    await client.end();
    await dataSource.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
  }
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

function log(message: string): void {
  console.log(`[audit-bench] ${message}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
