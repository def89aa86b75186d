import { jest } from '@jest/globals';
import type { Config } from '@jest/types';
import { PAGE_MAX_AGE_MS } from '../../src/connections/page-cache';
import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer } from '../support/factories';
import { TestApp } from '../support/test-app';

const EVERYTHING_BUT_DATE: Config.FakeableAPI[] = [
  'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate',
  'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout',
];

/**
 * Pages of connection lists are kept and served again while the customer's list version holds (see
 * `ConnectionReads`). Each test reads a page twice first, so that it is kept, then changes something
 * and reads it again.
 */
describe('Kept pages of connection lists', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  const listPath = (customer: TestCustomer, query = '') => `/v1/customers/${customer.id}/connections${query}`;
  const list = async (customer: TestCustomer, query = '') => (await t.http().get(listPath(customer, query)).set(customer.headers).expect(200)).body;
  const names = async (customer: TestCustomer, query = '') => ((await list(customer, query)).connections as { name: string }[]).map((c) => c.name);
  async function kept(customer: TestCustomer, query = '') {
    await list(customer, query);
    return list(customer, query);
  }

  it('show every change through the API at once: create, update, grant, revoke, instance and connection deletion', async () => {
    const customer = await createCustomer(t);
    const connection = await createConnection(t, customer, { name: 'first' });
    expect((await kept(customer)).total).toBe(1);

    const second = await createConnection(t, customer, { name: 'second' });
    expect(await list(customer)).toMatchObject({ total: 2, connections: [{ name: 'first' }, { name: 'second' }] });

    await kept(customer);
    await t.http().patch(`${listPath(customer)}/${connection.id}`).set(customer.headers).send({ name: 'renamed' }).expect(200);
    expect(await names(customer)).toEqual(['renamed', 'second']);

    const instance = await createInstance(t, customer);
    await kept(customer);
    const grant = await grantConnection(t, customer, second, instance, ['read']);
    expect((await list(customer)).connections[1].grants).toEqual([expect.objectContaining({ id: grant.id, capabilities: ['read'] })]);

    await kept(customer);
    await t.http().delete(`${listPath(customer)}/${second.id}/grants/${grant.id}`).set(customer.headers).expect(204);
    expect((await list(customer)).connections[1].grants).toEqual([]);

    await grantConnection(t, customer, second, instance);
    await kept(customer);
    await t.http().delete(`/v1/customers/${customer.id}/instances/${instance.id}`).set(customer.headers).expect(204);
    expect((await list(customer)).connections[1].grants).toEqual([]);

    await kept(customer);
    await t.http().delete(`${listPath(customer)}/${connection.id}`).set(customer.headers).expect(204);
    expect(await list(customer)).toMatchObject({ total: 1, connections: [{ name: 'second' }] });
  });

  it('show changes made elsewhere (another replica, an operator) at once, filtered pages too', async () => {
    const customer = await createCustomer(t);
    const connection = await createConnection(t, customer, { provider: 'xero' });
    const instance = await createInstance(t, customer);
    await kept(customer, '?status=active');
    await kept(customer);
    await t.db.query(`UPDATE connections SET status = 'error', error_message = 'revoked upstream' WHERE id = $1`, [connection.id]);
    expect((await list(customer)).connections[0]).toMatchObject({ status: 'error', error_message: 'revoked upstream' });
    expect(await list(customer, '?status=active')).toEqual({ connections: [], total: 0 });

    await kept(customer, '?provider=xero');
    await t.db.query(`INSERT INTO grants (connection_id, instance_id, capabilities) VALUES ($1, $2, '["sync"]')`, [connection.id, instance.id]);
    expect((await list(customer, '?provider=xero')).connections[0].grants).toEqual([expect.objectContaining({ instance_id: instance.id, capabilities: ['sync'] })]);
  });

  it('keep one customer’s pages apart from another’s, and each page apart from other pages', async () => {
    const [one, two] = [await createCustomer(t), await createCustomer(t)];
    for (const name of ['a', 'b', 'c']) await createConnection(t, one, { name });
    await createConnection(t, two, { name: 'z' });
    expect(await names(one, '?limit=2')).toEqual(['a', 'b']);
    expect(await names(one, '?limit=2&offset=2')).toEqual(['c']);
    expect(await names(two, '?limit=2')).toEqual(['z']);
    expect(await names(one, '?limit=2')).toEqual(['a', 'b']);
  });

  it('show a new last_used_at within a second, since it alone does not move the version', async () => {
    const customer = await createCustomer(t);
    const connection = await createConnection(t, customer);
    // The service's clock stands still (only `Date`: timers and I/O run as usual) until the test moves it.
    jest.useFakeTimers({ doNotFake: EVERYTHING_BUT_DATE, now: Date.now() });
    try {
      expect((await kept(customer)).connections[0].last_used_at).toBeNull();
      await t.db.query(`UPDATE connection_last_uses SET last_used_at = now() WHERE connection_id = $1`, [connection.id]);
      // Read again within the second: still the kept page (read anew, it would show the time).
      jest.setSystemTime(Date.now() + PAGE_MAX_AGE_MS - 1);
      expect((await list(customer)).connections[0].last_used_at).toBeNull();
      jest.setSystemTime(Date.now() + 1);
      expect((await list(customer)).connections[0].last_used_at).toEqual(expect.any(String));
    } finally {
      jest.useRealTimers();
    }
  });

  describe('with CONNECTION_PAGE_CACHE_MIB=0', () => {
    let uncached: TestApp;
    beforeAll(async () => {
      uncached = await TestApp.start({ CONNECTION_PAGE_CACHE_MIB: '0' });
    });
    afterAll(() => uncached.close());

    it('reads every page anew: last_used_at shows at once', async () => {
      const customer = await createCustomer(uncached);
      const connection = await createConnection(uncached, customer);
      const read = async () => (await uncached.http().get(listPath(customer)).set(customer.headers).expect(200)).body.connections[0].last_used_at;
      expect(await read()).toBeNull();
      await uncached.db.query(`UPDATE connection_last_uses SET last_used_at = now() WHERE connection_id = $1`, [connection.id]);
      expect(await read()).toEqual(expect.any(String));
    });
  });
});
