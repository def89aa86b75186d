import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer, type TestInstance } from '../support/factories';
import { asAdmin, TestApp } from '../support/test-app';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Every sample line's labels, as `name{labels}`, without the comments. */
function sampleLines(exposition: string): string[] {
  return exposition.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** The value of the sample `name{labels}` exactly as written, or undefined. */
function sample(exposition: string, series: string): number | undefined {
  const line = sampleLines(exposition).find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let instance: TestInstance;

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
    instance = await createInstance(t, customer);
    const connection = await createConnection(t, customer, { provider: 'gmail' });
    await grantConnection(t, customer, connection, instance, ['send_mail']);
  });
  afterAll(() => t.close());

  it('refuses a request without credentials with 401, and a customer with 403', async () => {
    const anonymous = await t.http().get('/metrics').expect(401);
    expect(anonymous.body).toEqual({ detail: expect.any(String) });
    const asCustomer = await t.http().get('/metrics').set(customer.headers).expect(403);
    expect(asCustomer.body).toEqual({ detail: expect.any(String) });
  });

  it('serves the Prometheus text format to the admin: latency by method, route pattern and status, fetch outcomes, pool use, event-loop lag, process metrics', async () => {
    const fetchPath = `/internal/v1/instances/${instance.id}/connections`;
    await t.http().get(`${fetchPath}?provider=gmail`).set(instance.headers).expect(200);
    await t.http().get(`${fetchPath}?provider=gmail`).set(instance.headers).expect(200);
    await t.http().get(`${fetchPath}?provider=gmail&capability=delete_all`).set(instance.headers).expect(403);
    await t.http().get(`${fetchPath}?provider=slack`).set(instance.headers).expect(404);
    await t.http().get(`/v1/customers/${customer.id}/connections`).set(customer.headers).expect(200);

    const scraped = await t.http().get('/metrics').set(asAdmin).expect(200);
    expect(scraped.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = scraped.text;
    expect(sample(text, 'hydracore_credential_fetches_total{outcome="200"}')).toBe(2);
    expect(sample(text, 'hydracore_credential_fetches_total{outcome="403"}')).toBe(1);
    expect(sample(text, 'hydracore_credential_fetches_total{outcome="404"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="/internal/v1/instances/:instance_id/connections",status="200"}')).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="/v1/customers/:customer_id/connections",status="200"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{method="POST",route="/v1/customers/:customer_id/connections",status="201"}')).toBe(1);
    expect(sample(text, 'hydracore_db_pool_connections{state="total"}')).toBeGreaterThan(0);
    expect(sample(text, 'hydracore_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'hydracore_db_pool_waiting_requests')).toBe(0);
    expect(sample(text, 'hydracore_db_pipelined_connections')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('puts no id in any label, whatever the paths requested held', async () => {
    await t.http().get(`/v1/customers/${customer.id}`).set(asAdmin).expect(200);
    const connection = await createConnection(t, customer, { provider: 'notion' });
    await t.http().get(`/v1/customers/${customer.id}/connections/${connection.id}`).set(customer.headers).expect(200);
    await t.http().get(`/v1/customers/${crypto.randomUUID()}`).set(asAdmin).expect(404);
    // A path that matches no route at all is counted under "unmatched", never under its path.
    await t.http().get(`/nothing/here/${crypto.randomUUID()}`).set(asAdmin).expect(404);

    const text = (await t.http().get('/metrics').set(asAdmin).expect(200)).text;
    expect(text).not.toMatch(UUID);
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="/v1/customers/:customer_id",status="404"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}')).toBe(1);
    // Every label value is a method, a pattern, a status, an outcome or a word: a closed set.
    for (const line of sampleLines(text)) {
      for (const [, value] of line.matchAll(/="([^"]*)"/g)) expect(value).toMatch(/^[A-Za-z0-9_.:/+\- ]*$/);
    }
  });
});

describe('GET /metrics with METRICS_ENABLED=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start({ METRICS_ENABLED: 'false' });
  });
  afterAll(() => t.close());

  it('answers 404 to the admin, and still 401 without credentials', async () => {
    await t.http().get('/health/live').expect(200);
    const response = await t.http().get('/metrics').set(asAdmin).expect(404);
    expect(response.body).toEqual({ detail: 'Metrics are turned off (METRICS_ENABLED=false)' });
    await t.http().get('/metrics').expect(401);
  });
});
