import { randomUUID } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer } from '../support/factories';
import { TestApp } from '../support/test-app';

/**
 * `grants.provider` is what the runtime fetch finds a grant by, and PostgreSQL keeps it equal to the
 * provider of the granted connection (migration GrantsProvider): these tests write grants and
 * connections every way the service and the database can, and check the column and the fetch.
 */
describe('The provider kept on each grant', () => {
  let t: TestApp;
  let customer: TestCustomer;

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
  });
  afterAll(() => t.close());

  const providerOf = async (grant: { id: string }): Promise<string> => (await t.db.query('SELECT provider FROM grants WHERE id = $1', [grant.id]))[0].provider;
  const fetchStatus = async (instance: { id: string; headers: Record<string, string> }, provider: string): Promise<number> =>
    (await t.http().get(`/internal/v1/instances/${instance.id}/connections?provider=${provider}`).set(instance.headers)).status;

  it('is the connection’s provider on a grant made through the API', async () => {
    const connection = await createConnection(t, customer, { provider: 'xero' });
    const instance = await createInstance(t, customer);
    const grant = await grantConnection(t, customer, connection, instance);
    expect(await providerOf(grant)).toBe('xero');
    expect(await fetchStatus(instance, 'xero')).toBe(200);
  });

  it('is the connection’s provider whatever an insert or an update of the grant writes', async () => {
    const connection = await createConnection(t, customer, { provider: 'deputy' });
    const instance = await createInstance(t, customer);
    const [grant] = await t.db.query(`INSERT INTO grants (connection_id, instance_id, provider, capabilities) VALUES ($1, $2, 'gmail', '[]') RETURNING id`, [
      connection.id,
      instance.id,
    ]);
    expect(await providerOf(grant)).toBe('deputy');
    await t.db.query(`UPDATE grants SET provider = 'gmail' WHERE id = $1`, [grant.id]);
    expect(await providerOf(grant)).toBe('deputy');
    expect(await fetchStatus(instance, 'deputy')).toBe(200);
    expect(await fetchStatus(instance, 'gmail')).toBe(404);
  });

  it('follows a connection whose provider is changed in the database, and the fetch with it', async () => {
    const connection = await createConnection(t, customer, { provider: 'google_calendar' });
    const instance = await createInstance(t, customer);
    const grant = await grantConnection(t, customer, connection, instance);
    await t.db.query(`UPDATE connections SET provider = 'outlook_calendar' WHERE id = $1`, [connection.id]);
    expect(await providerOf(grant)).toBe('outlook_calendar');
    expect(await fetchStatus(instance, 'outlook_calendar')).toBe(200);
    expect(await fetchStatus(instance, 'google_calendar')).toBe(404);
  });

  it('fails an insert naming a connection that does not exist as the foreign key does', async () => {
    const instance = await createInstance(t, customer);
    const insert = t.db.query(`INSERT INTO grants (connection_id, instance_id, capabilities) VALUES ($1, $2, '[]')`, [randomUUID(), instance.id]);
    await expect(insert).rejects.toBeInstanceOf(QueryFailedError);
    await expect(insert).rejects.toMatchObject({ driverError: { code: '23503', constraint: 'FK_grants_connection' } });
  });
});
