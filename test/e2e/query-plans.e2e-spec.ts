import { API_KEY_BY_HASH } from '../../src/auth/strategies/customer-or-admin.strategy';
import { CONNECTIONS_PAGE, FILTERED_CONNECTIONS_PAGE } from '../../src/connections/connection-reads';
import { LAST_USED_UPDATES } from '../../src/last-used/last-used-recorder';
import { FETCH_LOOKUP } from '../../src/internal-credentials/fetch-lookup';
import { TestApp } from '../support/test-app';

/**
 * The hot statements find their rows through indexes, so their cost does not grow with the table:
 * what lets the fetch keep its throughput from 10,000 to 1,000,000 connections (npm run bench). Each
 * plan is PostgreSQL's own choice on 25,000 analyzed connections, read with EXPLAIN.
 */
describe('Query plans', () => {
  let t: TestApp;
  let customerId: string;
  let proxyKeyHash: Buffer;

  let bigCustomerId: string;

  beforeAll(async () => {
    t = await TestApp.start();
    // 2,000 customers with 10 connections, one with 5,000; 2 instances each with 5 grants; an API
    // key each: enough rows that a sequential scan would be the planner's choice if an index were missing.
    await t.db.query(`INSERT INTO customers (id, name) SELECT gen_random_uuid(), 'c' || i FROM generate_series(1, 2001) AS i`);
    [{ id: bigCustomerId }] = await t.db.query('SELECT id FROM customers LIMIT 1');
    await t.db.query(
      `INSERT INTO connections (id, customer_id, provider, name, auth_type, scopes, credentials_ciphertext, credentials_nonce, wrapped_data_key, key_id)
       SELECT gen_random_uuid(), c.id, 'p' || (k % 50), 'n' || k, 'oauth2', '[]', '\\x00', '\\x00', '\\x00', 'k'
         FROM customers c CROSS JOIN generate_series(1, 5000) AS k WHERE c.id = $1 OR k <= 10`,
      [bigCustomerId],
    );
    await t.db.query(
      `INSERT INTO instances (id, customer_id, name, proxy_key_hash)
       SELECT gen_random_uuid(), c.id, 'i' || j, sha256(convert_to(c.id::text || j, 'UTF8')) FROM customers c CROSS JOIN generate_series(1, 2) AS j`,
    );
    await t.db.query(`INSERT INTO api_keys (customer_id, prefix, key_hash) SELECT id, 'hck_x', sha256(convert_to(id::text, 'UTF8')) FROM customers`);
    await t.db.query(
      `INSERT INTO grants (connection_id, instance_id, capabilities)
       SELECT DISTINCT ON (i.id, c.provider) c.id, i.id, '["read"]' FROM instances i JOIN connections c ON c.customer_id = i.customer_id
        WHERE c.provider IN ('p1', 'p2', 'p3', 'p4', 'p5')`,
    );
    await t.db.query('ANALYZE');
    [{ customer_id: customerId, proxy_key_hash: proxyKeyHash }] = await t.db.query(
      'SELECT customer_id, proxy_key_hash FROM instances WHERE customer_id <> $1 LIMIT 1',
      [bigCustomerId],
    );
  });
  afterAll(() => t.close());

  /**
   * The plan PostgreSQL runs for the statement with these values: for a named statement the generic
   * plan (forced, so that it is the one read whatever five runs of one customer would have chosen), for
   * an unnamed one the plan made for these values.
   */
  async function plan(statement: { name?: string; text: string }, values: unknown[], analyze = false): Promise<string> {
    const explain = analyze ? 'EXPLAIN (ANALYZE, BUFFERS)' : 'EXPLAIN';
    if (statement.name === undefined) {
      const rows: { 'QUERY PLAN': string }[] = await t.db.query(`${explain} ${statement.text}`, values);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    }
    const runner = t.db.createQueryRunner();
    try {
      await runner.query('SET plan_cache_mode = force_generic_plan');
      await runner.query(`PREPARE planned AS ${statement.text}`);
      const execute = `EXECUTE planned(${values.map(literal).join(', ')})`;
      const rows: { 'QUERY PLAN': string }[] = await runner.query(`${explain} ${execute}`);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    } finally {
      await runner.query('DEALLOCATE ALL');
      await runner.query('RESET plan_cache_mode');
      await runner.release();
    }
  }

  /** EXECUTE takes no bind parameters: the values are written as literals. */
  function literal(value: unknown): string {
    if (value === null) return 'NULL';
    if (Buffer.isBuffer(value)) return `'\\x${value.toString('hex')}'::bytea`;
    if (typeof value === 'number') return String(value);
    return `'${String(value).replace(/'/g, "''")}'`;
  }

  it('finds the proxy key, the grants and the connection of the runtime fetch by index', async () => {
    const text = await plan(FETCH_LOOKUP, [proxyKeyHash, 'p1', null, new Date().toISOString()]);
    expect(text).toMatch(/Index Scan using "UQ_instances_proxy_key_hash" on instances/);
    expect(text).toMatch(/Index Scan using "IDX_grants_instance_provider" on grants g .*\n\s+Index Cond: \(\(instance_id = i\.id\) AND \(\(provider\)::text = \$2\)\)/);
    expect(text).toMatch(/Index Scan using "PK_[0-9a-f]+" on connections c .*\n\s+Index Cond: \(id = g\.connection_id\)/);
    // The OAuth app is looked up only for a token due for a refresh (a CASE branch): an empty table is scanned there.
    expect(text.replace(/Seq Scan on oauth_apps a .*/, '')).not.toMatch(/Seq Scan/);
  });

  it('reads as few pages for the fetch of a customer with 5,000 connections as for one with 10', async () => {
    /** The pages the statement's run read, from shared buffers or not (its first Buffers line is the whole plan's). */
    const pagesRead = async (hash: Buffer): Promise<number> => {
      const [, hit, read] = /Buffers: shared hit=(\d+)(?: read=(\d+))?/.exec(await plan(FETCH_LOOKUP, [hash, 'p1', null, new Date().toISOString()], true))!;
      return Number(hit) + Number(read ?? 0);
    };
    const [{ proxy_key_hash: bigKeyHash }] = await t.db.query('SELECT proxy_key_hash FROM instances WHERE customer_id = $1 LIMIT 1', [bigCustomerId]);
    // The big customer has 100 connections of p1: a plan that went through them, or through its
    // grants, would read a page or more for each.
    const [small, big] = [await pagesRead(proxyKeyHash), await pagesRead(bigKeyHash)];
    expect(small).toBeLessThan(30);
    expect(big).toBeLessThan(30);
  });

  it('finds an API key by its hash through the unique index', async () => {
    expect(await plan(API_KEY_BY_HASH, [proxyKeyHash])).toMatch(/Index Scan using "UQ_api_keys_key_hash" on api_keys/);
  });

  it('reads a page of a large customer’s connections in index order, without sorting its 5,000 rows', async () => {
    const text = await plan(CONNECTIONS_PAGE, [bigCustomerId, 100, 0]);
    expect(text).toMatch(/Index Scan using "IDX_connections_customer_created_at_id" on connections/);
    expect(text).not.toMatch(/Seq Scan on connections|Sort Key: c\.created_at/);
  });

  it('reads a page of a small customer’s connections through an index too', async () => {
    const text = await plan(CONNECTIONS_PAGE, [customerId, 100, 0]);
    expect(text).toMatch(/Index Scan using "\w+" on connections c|Bitmap Index Scan on "\w+"/);
    expect(text).not.toMatch(/Seq Scan on connections/);
  });

  it('finds each listed connection’s last use by primary key', async () => {
    const text = await plan(CONNECTIONS_PAGE, [customerId, 100, 0]);
    expect(text).toMatch(/Index Scan using "PK_\w+" on connection_last_uses u .*\n\s+Index Cond: \(connection_id = c\.id\)/);
    expect(text).not.toMatch(/Seq Scan on connection_last_uses/);
  });

  it('writes a batch of last uses to rows found by primary key, not by reading the whole table', async () => {
    const rows: { connection_id: string }[] = await t.db.query('SELECT connection_id FROM connection_last_uses ORDER BY random() LIMIT 100');
    const text = await plan({ text: LAST_USED_UPDATES.connections }, [rows.map((row) => row.connection_id), rows.map(() => Date.now())]);
    expect(text).toMatch(/Index Scan using "PK_\w+" on connection_last_uses t|Bitmap Index Scan on "PK_\w+"/);
    expect(text).not.toMatch(/Seq Scan on connection_last_uses/);
  });

  it('finds each listed connection’s grant list by primary key, without reading grants', async () => {
    const text = await plan(CONNECTIONS_PAGE, [customerId, 100, 0]);
    expect(text).toMatch(/Index Scan using "PK_\w+" on connection_grant_lists l .*\n\s+Index Cond: \(connection_id = c\.id\)/);
    expect(text).not.toMatch(/Seq Scan on connection_grant_lists| on grants/);
  });

  it('reads a filtered page of a large customer without a sequential scan', async () => {
    const text = await plan(FILTERED_CONNECTIONS_PAGE, [bigCustomerId, 'p1', null, 100, 0]);
    expect(text).toMatch(/Index Scan using "\w+" on connections c|Bitmap Index Scan on "\w+"/);
    expect(text).not.toMatch(/Seq Scan on connections/);
  });

  it('answers the unfiltered total from the kept count, by primary key', async () => {
    const text = await plan(CONNECTIONS_PAGE, [customerId, 100, 0]);
    expect(text).toMatch(/Index Scan using "PK_[0-9a-f]+" on customer_connection_counts/);
  });
});
