import type { QueryRunner } from 'typeorm';
import { createConnection, createCustomer, createInstance, grantConnection, type TestConnection, type TestCustomer } from '../support/factories';
import { TestApp } from '../support/test-app';

/**
 * A connection's JSON is kept in its row and its grants' JSON in `connection_grant_lists`, by triggers
 * (migration ConnectionJson). These tests change connections and grants in every way the service
 * and the database can, then read the connection back as the API shows it.
 */
describe('The JSON kept for each connection', () => {
  let t: TestApp;
  let customer: TestCustomer;

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
  });
  afterAll(() => t.close());

  const connectionPath = (connection: { id: string }) => `/v1/customers/${customer.id}/connections/${connection.id}`;
  const read = async (connection: { id: string }) => (await t.http().get(connectionPath(connection)).set(customer.headers).expect(200)).body;
  const grantIds = async (connection: { id: string }) => ((await read(connection)).grants as { id: string }[]).map((grant) => grant.id).sort();
  const listRows = async (connection: { id: string }): Promise<number> =>
    (await t.db.query('SELECT count(*)::int AS count FROM connection_grant_lists WHERE connection_id = $1', [connection.id]))[0].count;

  it('follows every field a PATCH changes, and keeps the rest', async () => {
    const connection = await createConnection(t, customer, { scopes: ['a'], metadata_json: { team: 'ops' } });
    const before = await read(connection);
    const patched = await t
      .http()
      .patch(connectionPath(connection))
      .set(customer.headers)
      .send({ name: 'renamed "inbox"', scopes: ['b', 'c'], metadata_json: { team: 'sales', n: 1.5 }, credentials: { access_token: 'x', expires_in: 60 } })
      .expect(200);
    const after = await read(connection);
    expect(after).toEqual(patched.body);
    expect(after).toEqual({
      ...before,
      name: 'renamed "inbox"',
      scopes: ['b', 'c'],
      metadata_json: { team: 'sales', n: 1.5 },
      expires_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(Date.parse(after.expires_at) - Date.parse(after.updated_at)).toBeGreaterThan(50_000);
    expect(Date.parse(after.updated_at)).toBeGreaterThanOrEqual(Date.parse(before.updated_at));
  });

  it('follows columns written straight to the database, and leaves last_used_at to the read', async () => {
    const connection = await createConnection(t, customer);
    await t.db.query(`UPDATE connections SET status = 'error', error_message = 'token revoked' WHERE id = $1`, [connection.id]);
    expect(await read(connection)).toMatchObject({ status: 'error', error_message: 'token revoked', last_used_at: null });
    await t.db.query(`UPDATE connection_last_uses SET last_used_at = '2026-03-04T05:06:07.089Z' WHERE connection_id = $1`, [connection.id]);
    expect(await read(connection)).toMatchObject({ status: 'error', last_used_at: '2026-03-04T05:06:07.089Z' });
  });

  it('shows grants as they are granted and revoked, in grant order, and keeps no list for a connection without grants', async () => {
    const connection = await createConnection(t, customer);
    const [first, second] = [await createInstance(t, customer), await createInstance(t, customer)];
    const a = await grantConnection(t, customer, connection, first, ['read']);
    const b = await grantConnection(t, customer, connection, second, ['send_mail', 'read']);
    const shown = (await read(connection)).grants;
    expect(shown.map((grant: { id: string }) => grant.id)).toEqual([a.id, b.id]);
    expect(shown[1]).toEqual({ id: b.id, connection_id: connection.id, instance_id: second.id, capabilities: ['send_mail', 'read'], granted_at: expect.any(String) });
    await t.http().delete(`${connectionPath(connection)}/grants/${a.id}`).set(customer.headers).expect(204);
    expect(await grantIds(connection)).toEqual([b.id]);
    await t.http().delete(`${connectionPath(connection)}/grants/${b.id}`).set(customer.headers).expect(204);
    expect((await read(connection)).grants).toEqual([]);
    expect(await listRows(connection)).toBe(0);
  });

  it('drops the grants of a deleted instance from every connection it was granted', async () => {
    const instance = await createInstance(t, customer);
    const kept = await createInstance(t, customer);
    const connections: TestConnection[] = [await createConnection(t, customer), await createConnection(t, customer)];
    for (const connection of connections) await grantConnection(t, customer, connection, instance);
    const stays = await grantConnection(t, customer, connections[0], kept);
    await t.http().delete(`/v1/customers/${customer.id}/instances/${instance.id}`).set(customer.headers).expect(204);
    expect(await grantIds(connections[0])).toEqual([stays.id]);
    expect((await read(connections[1])).grants).toEqual([]);
    expect(await listRows(connections[1])).toBe(0);
  });

  it('leaves no grant list behind a deleted connection', async () => {
    const connection = await createConnection(t, customer);
    await grantConnection(t, customer, connection, await createInstance(t, customer));
    expect(await listRows(connection)).toBe(1);
    await t.http().delete(connectionPath(connection)).set(customer.headers).expect(204);
    expect(await listRows(connection)).toBe(0);
  });

  it('shows every one of many concurrent grants of one connection', async () => {
    const connection = await createConnection(t, customer);
    const instances = await Promise.all(Array.from({ length: 8 }, () => createInstance(t, customer)));
    const granted = await Promise.all(instances.map((instance) => grantConnection(t, customer, connection, instance)));
    expect(await grantIds(connection)).toEqual(granted.map((grant) => grant.id).sort());
  });

  describe('with two transactions interleaved on the same connection', () => {
    let first: QueryRunner;
    let second: QueryRunner;
    beforeEach(async () => {
      [first, second] = [t.db.createQueryRunner(), t.db.createQueryRunner()];
      await Promise.all([first.connect(), second.connect()]);
    });
    afterEach(async () => {
      await Promise.all([first.release(), second.release()]);
    });

    /** Starts `sql` on `runner` and resolves once PostgreSQL has it waiting for a lock; the result comes later. */
    async function blockedOnLock(runner: QueryRunner, sql: string, values: unknown[]): Promise<{ done: Promise<unknown> }> {
      const [{ pid }] = await runner.query('SELECT pg_backend_pid() AS pid');
      const done = runner.query(sql, values);
      done.catch(() => undefined); // awaited by the test; this keeps an early failure from going unhandled
      for (let i = 0; i < 200; i++) {
        const [{ waiting }] = await t.db.query(`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [pid]);
        if (waiting) return { done };
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('the second statement never waited for the first transaction');
    }

    it('rebuilds the list from both grants when the second waits for the first (no lost grant)', async () => {
      const connection = await createConnection(t, customer);
      const [one, two] = [await createInstance(t, customer), await createInstance(t, customer)];
      const insert = 'INSERT INTO grants (connection_id, instance_id, capabilities) VALUES ($1, $2, \'[]\') RETURNING id';
      await first.startTransaction();
      const [a] = await first.query(insert, [connection.id, one.id]);
      const blocked = await blockedOnLock(second, insert, [connection.id, two.id]);
      await first.commitTransaction();
      const [b] = (await blocked.done) as { id: string }[];
      expect(await grantIds(connection)).toEqual([a.id, b.id].sort());
    });

    it('deletes a connection and an instance granted to it at once, in either order, without a deadlock', async () => {
      for (const order of ['instance first', 'connection first']) {
        const connection = await createConnection(t, customer);
        const instance = await createInstance(t, customer);
        await grantConnection(t, customer, connection, instance);
        const deleteInstance = ['DELETE FROM instances WHERE id = $1', [instance.id]] as const;
        const deleteConnection = ['DELETE FROM connections WHERE id = $1', [connection.id]] as const;
        const [held, waiting] = order === 'instance first' ? [deleteInstance, deleteConnection] : [deleteConnection, deleteInstance];
        await first.startTransaction();
        await first.query(held[0], [...held[1]]);
        const blocked = await blockedOnLock(second, waiting[0], [...waiting[1]]);
        await first.commitTransaction();
        await expect(blocked.done).resolves.toBeDefined();
        expect(await listRows(connection)).toBe(0);
        await t.http().get(connectionPath(connection)).set(customer.headers).expect(404);
      }
    });
  });
});
