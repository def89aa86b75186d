import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MIGRATIONS } from '../../migrations';
import { ConnectionJson1796151206399 } from '../../migrations/1796151206399-ConnectionJson';
import { GrantsProvider1796160000000 } from '../../migrations/1796160000000-GrantsProvider';
import { ConnectionLastUses1796240840911 } from '../../migrations/1796240840911-ConnectionLastUses';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { migrationDataSourceOptions, runPendingMigrations } from '../../src/database/migrate';
import { pendingSchemaChanges } from '../../src/database/schema-diff';
import { ENTITIES } from '../../src/entities';
import { createConnection, createCustomer, createInstance, grantConnection } from '../support/factories';
import { TestApp } from '../support/test-app';

const MIGRATIONS_DIR = resolve(process.cwd(), 'migrations');

describe('Migrations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  /** Undoes the migrations from the last back to `migration`, that one included; says how many. */
  async function undoBackTo(migration: Function): Promise<number> {
    const count = MIGRATIONS.length - MIGRATIONS.indexOf(migration);
    for (let i = 0; i < count; i++) await t.db.undoLastMigration({ transaction: 'each' });
    return count;
  }

  it('describe the entities exactly: nothing left to generate (run `npm run migration:generate <Name>` after an entity change)', async () => {
    const { up } = await pendingSchemaChanges(t.db);
    expect(up).toEqual([]);
  });

  it('are all applied when the service starts', async () => {
    expect(await t.db.showMigrations()).toBe(false);
    const applied: { name: string }[] = await t.db.query('SELECT name FROM migrations ORDER BY timestamp');
    expect(applied.map((row) => row.name)).toEqual(t.db.migrations.map((migration) => migration.name));
  });

  it('that are pending are applied when the service starts', async () => {
    await t.db.undoLastMigration({ transaction: 'each' });
    expect(await t.db.showMigrations()).toBe(true);
    await t.restart();
    expect(await t.db.showMigrations()).toBe(false);
    await t.http().get('/health/ready').expect(200);
  });

  it('are the only source of the schema: synchronize is off everywhere', () => {
    expect(t.db.options.synchronize).toBe(false);
    expect(dataSourceOptions('postgres://localhost/x', ENTITIES).synchronize).toBe(false);
  });

  it('are all listed in migrations/index.ts, one file each, named <timestamp>-<WhatChanged>', () => {
    const files = readdirSync(MIGRATIONS_DIR).filter((file) => file !== 'index.ts' && file.endsWith('.ts'));
    expect(files.length).toBe(MIGRATIONS.length);
    for (const file of files) {
      expect(file).toMatch(/^\d{13}-[A-Z][A-Za-z0-9]*\.ts$/);
      expect(file).not.toMatch(/copy|AddMissing/i);
    }
    const index = readFileSync(resolve(MIGRATIONS_DIR, 'index.ts'), 'utf8');
    for (const file of files) expect(index).toContain(`'./${file.replace(/\.ts$/, '')}'`);
  });

  it('write the kept JSON of the connections and grants that were there before ConnectionJson', async () => {
    const customer = await createCustomer(t);
    const connection = await createConnection(t, customer, { metadata_json: { note: 'before' } });
    await grantConnection(t, customer, connection, await createInstance(t, customer), ['read']);
    const path = `/v1/customers/${customer.id}/connections/${connection.id}`;
    const before = (await t.http().get(path).set(customer.headers).expect(200)).text;
    await undoBackTo(ConnectionJson1796151206399);
    await t.db.runMigrations({ transaction: 'each' });
    expect((await t.http().get(path).set(customer.headers).expect(200)).text).toBe(before);
  });

  it('run on a connection of their own with no statement timeout, whatever the database\'s default', async () => {
    // 40,000 grants (200 connections × 200 instances), written straight to the database.
    const [{ id: customerId }] = await t.db.query(`INSERT INTO customers (id, name) VALUES (gen_random_uuid(), 'many grants') RETURNING id`);
    await t.db.query(
      `INSERT INTO connections (id, customer_id, provider, name, auth_type, scopes, credentials_ciphertext, credentials_nonce, wrapped_data_key, key_id)
       SELECT gen_random_uuid(), $1, 'p' || (k % 20), 'n' || k, 'oauth2', '[]', '\\x00', '\\x00', '\\x00', 'k' FROM generate_series(1, 200) AS k`,
      [customerId],
    );
    await t.db.query(`INSERT INTO instances (id, customer_id, name, proxy_key_hash) SELECT gen_random_uuid(), $1::uuid, 'i' || j, sha256(convert_to($1::text || j, 'UTF8')) FROM generate_series(1, 200) AS j`, [customerId]);
    await t.db.query(
      `INSERT INTO grants (connection_id, instance_id, capabilities) SELECT c.id, i.id, '[]' FROM connections c JOIN instances i ON i.customer_id = c.customer_id WHERE c.customer_id = $1`,
      [customerId],
    );
    const later = await undoBackTo(GrantsProvider1796160000000);
    // A database whose default timeout GrantsProvider's rewrite of the grants exceeds.
    const url = (t.db.options as PostgresDataSourceOptions).url!;
    const database = new URL(url).pathname.slice(1);
    await t.db.query(`ALTER DATABASE "${database}" SET statement_timeout = '100ms'`);
    try {
      const { statement_timeout: _, ...settings } = (t.db.options as PostgresDataSourceOptions).extra;
      const plain = new DataSource({ ...t.db.options, extra: settings } as PostgresDataSourceOptions);
      await plain.initialize();
      try {
        await expect(plain.runMigrations({ transaction: 'each' })).rejects.toThrow(/statement timeout/);
      } finally {
        await plain.destroy();
      }
      const own = new DataSource(migrationDataSourceOptions(url));
      await own.initialize();
      expect(await own.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '0' }]);
      await own.destroy();
      expect((await runPendingMigrations(url)).map((migration) => migration.name)).toEqual(MIGRATIONS.slice(-later).map((migration) => migration.name));
    } finally {
      await t.db.query(`ALTER DATABASE "${database}" RESET statement_timeout`);
    }
    const [{ wrong }] = await t.db.query(
      `SELECT count(*)::int AS wrong FROM grants g JOIN connections c ON c.id = g.connection_id WHERE c.customer_id = $1 AND g.provider IS DISTINCT FROM c.provider`,
      [customerId],
    );
    expect(wrong).toBe(0);
    const [{ kept }] = await t.db.query(`SELECT count(*)::int AS kept FROM grants g JOIN instances i ON i.id = g.instance_id WHERE i.customer_id = $1`, [customerId]);
    expect(kept).toBe(40_000);
  });

  it('keep the last_used_at of connections that were there before ConnectionLastUses, both ways', async () => {
    const customer = await createCustomer(t);
    const [used, unused] = [await createConnection(t, customer), await createConnection(t, customer)];
    const lastUsedAt = (connection: { id: string }) => t.http().get(`/v1/customers/${customer.id}/connections/${connection.id}`).set(customer.headers).expect(200).then((response) => response.body.last_used_at);
    await undoBackTo(ConnectionLastUses1796240840911);
    await t.db.query(`UPDATE connections SET last_used_at = '2026-05-06T07:08:09.123Z' WHERE id = $1`, [used.id]);
    await t.db.runMigrations({ transaction: 'each' });
    expect([await lastUsedAt(used), await lastUsedAt(unused)]).toEqual(['2026-05-06T07:08:09.123Z', null]);
    await undoBackTo(ConnectionLastUses1796240840911);
    const back: { id: string; last_used_at: Date | null }[] = await t.db.query('SELECT id, last_used_at FROM connections WHERE id = ANY ($1)', [[used.id, unused.id]]);
    expect(Object.fromEntries(back.map((row) => [row.id, row.last_used_at?.toISOString() ?? null]))).toEqual({ [used.id]: '2026-05-06T07:08:09.123Z', [unused.id]: null });
    await t.db.runMigrations({ transaction: 'each' });
  });

  // Last: it takes the schema down and up again on this file's own database.
  it('can be reverted and applied again, leaving the same schema', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await t.db.undoLastMigration({ transaction: 'each' });
    const tables: { table_name: string }[] = await t.db.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'",
    );
    expect(tables).toEqual([]);
    // The diff sees a schema that is not the entities' (so an empty diff above means something).
    expect((await pendingSchemaChanges(t.db)).up).toEqual(expect.arrayContaining([expect.stringMatching(/^CREATE TABLE "customers"/)]));
    await t.db.runMigrations({ transaction: 'each' });
    expect((await pendingSchemaChanges(t.db)).up).toEqual([]);
    await t.http().get('/health/ready').expect(200);
  });
});
