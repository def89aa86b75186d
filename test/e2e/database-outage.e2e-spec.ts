import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer, type TestInstance } from '../support/factories';
import { TcpProxy } from '../support/tcp-proxy';
import { TestApp } from '../support/test-app';

/**
 * The service reaching its database through a TcpProxy, with a customer, an instance and a granted
 * connection, and one fetch done: both kinds of database connection are in use before a test cuts the
 * proxy, the pool (lists) and the pipelined lookups (keys).
 */
async function serviceBehindProxy(): Promise<{ t: TestApp; proxy: TcpProxy; customer: TestCustomer; instance: TestInstance; fetchPath: string }> {
  const server = new URL(process.env.TEST_DATABASE_SERVER_URL!);
  const proxy = await TcpProxy.start(server.hostname, Number(server.port || 5432));
  const t = await TestApp.start({}, (url) => {
    const throughProxy = new URL(url);
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);
    return throughProxy.toString();
  });
  const customer = await createCustomer(t);
  const instance = await createInstance(t, customer);
  const connection = await createConnection(t, customer, { provider: 'gmail' });
  await grantConnection(t, customer, connection, instance, ['send_mail']);
  const fetchPath = `/internal/v1/instances/${instance.id}/connections?provider=gmail`;
  await t.http().get(fetchPath).set(instance.headers).expect(200);
  return { t, proxy, customer, instance, fetchPath };
}

describe('While the database refuses connections', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let customer: TestCustomer;
  let instance: TestInstance;
  let fetchPath: string;

  beforeAll(async () => {
    ({ t, proxy, customer, instance, fetchPath } = await serviceBehindProxy());
  });
  afterAll(async () => {
    await t.close();
    await proxy.down();
  });

  it('answers 503 with the error shape, leaks nothing, and recovers by itself once it is back', async () => {
    await proxy.down();
    const listed = await t.http().get(`/v1/customers/${customer.id}/connections`).set(customer.headers);
    expect(listed.status).toBe(503);
    expect(listed.body).toEqual({ detail: expect.any(String) });
    expect(listed.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
    const fetched = await t.http().get(fetchPath).set(instance.headers);
    expect(fetched.status).toBe(503);
    expect(fetched.body).toEqual({ detail: expect.any(String) });
    expect(fetched.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres|hcp_/i);
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(503);
    expect((await t.http().get('/health/live')).status).toBe(200);

    await proxy.up();
    let status = 0;
    for (const deadline = Date.now() + 10_000; status !== 200 && Date.now() < deadline; ) {
      status = (await t.http().get(`/v1/customers/${customer.id}/connections`).set(customer.headers)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
    expect((await t.http().get('/health/ready')).status).toBe(200);
    expect((await t.http().get(fetchPath).set(instance.headers)).status).toBe(200);
  });
});

describe('While the database stops answering (packets dropped, not refused)', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let customer: TestCustomer;
  let instance: TestInstance;
  let fetchPath: string;

  beforeAll(async () => {
    ({ t, proxy, customer, instance, fetchPath } = await serviceBehindProxy());
  });
  afterAll(async () => {
    await proxy.up();
    await t.close();
    await proxy.down();
  });

  /** The status and how long it took, in ms. */
  async function timed(request: PromiseLike<{ status: number; body: unknown }>) {
    const started = Date.now();
    const response = await request;
    return { status: response.status, body: response.body, ms: Date.now() - started };
  }

  it('answers 503 within 10 s on every route that needs it, the pipelined fetch and /health/ready included, then recovers by itself', async () => {
    proxy.swallow();
    // At once, so that the waits overlap: pooled queries, pipelined lookups, new connections and the probe.
    const [listed, fetched, created, ready, live] = await Promise.all([
      timed(t.http().get(`/v1/customers/${customer.id}/connections`).set(customer.headers)),
      timed(t.http().get(fetchPath).set(instance.headers)),
      timed(t.http().post(`/v1/customers/${customer.id}/connections`).set(customer.headers).send({ provider: 'slack', name: 'hung', credentials: { token: 'x' } })),
      timed(t.http().get('/health/ready')),
      timed(t.http().get('/health/live')),
    ]);
    for (const answer of [listed, fetched, created, ready]) {
      expect(answer).toEqual({ status: 503, body: { detail: expect.any(String) }, ms: expect.any(Number) });
      expect(answer.ms).toBeLessThan(10_000);
    }
    expect(live.status).toBe(200);
    // A request that comes while the pool is already stuck is not answered later than the first ones.
    const later = await timed(t.http().get(fetchPath).set(instance.headers));
    expect(later.status).toBe(503);
    expect(later.ms).toBeLessThan(10_000);
    // The pooled connections whose queries got no answer were closed, not handed to the next request.
    // (A connection being opened meanwhile is not connected, and gives up after its own timeout.)
    const pooled = (t.db.driver as PostgresDriver).master as unknown as { _clients: { _connected: boolean }[] };
    expect(pooled._clients.filter((client) => client._connected).length).toBe(0);

    await proxy.up();
    let status = 0;
    for (const deadline = Date.now() + 10_000; status !== 200 && Date.now() < deadline; ) {
      status = (await t.http().get(`/v1/customers/${customer.id}/connections`).set(customer.headers)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
    expect((await t.http().get('/health/ready')).status).toBe(200);
    expect((await t.http().get(fetchPath).set(instance.headers)).status).toBe(200);
  }, 40_000);
});
