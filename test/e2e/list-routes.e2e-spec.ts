import { expectErrorDetail, expectUnauthorized, expectValidationError, UNKNOWN_ID } from '../support/expectations';
import { createConnection, createCustomer, createInstance, type TestCustomer } from '../support/factories';
import { asAdmin, TestApp } from '../support/test-app';

/**
 * The paging and access rules every list route shares (API.md, "Pagination"), one table of routes:
 * `?limit` (1-1000, default 100) and `?offset` (≥ 0), `{<items>, total}`, ordered by created_at then id.
 * A route's own fields and filters are tested in its own file.
 */
interface ListRoute {
  name: string;
  /** The key of the page's items in the body. */
  items: string;
  /** The table the items are rows of, and whether the list is of one customer. */
  table: string;
  ofCustomer: boolean;
  path(customerId: string): string;
  /** Makes one item of `customer` through the API. */
  create(t: TestApp, customer: TestCustomer, n: number): Promise<unknown>;
}

const ROUTES: ListRoute[] = [
  {
    name: 'GET /v1/customers',
    items: 'customers',
    table: 'customers',
    ofCustomer: false,
    path: () => '/v1/customers',
    create: (t, _customer, n) => t.http().post('/v1/customers').set(asAdmin).send({ name: `listed ${n}` }).expect(201),
  },
  {
    name: 'GET /v1/customers/:customer_id/api-keys',
    items: 'api_keys',
    table: 'api_keys',
    ofCustomer: true,
    path: (customerId) => `/v1/customers/${customerId}/api-keys`,
    create: (t, customer, n) => t.http().post(`/v1/customers/${customer.id}/api-keys`).set(customer.headers).send({ name: `key ${n}` }).expect(201),
  },
  {
    name: 'GET /v1/customers/:customer_id/instances',
    items: 'instances',
    table: 'instances',
    ofCustomer: true,
    path: (customerId) => `/v1/customers/${customerId}/instances`,
    create: (t, customer, n) => createInstance(t, customer, `agent ${n}`),
  },
  {
    name: 'GET /v1/customers/:customer_id/connections',
    items: 'connections',
    table: 'connections',
    ofCustomer: true,
    path: (customerId) => `/v1/customers/${customerId}/connections`,
    create: (t, customer, n) => createConnection(t, customer, { name: `inbox ${n}` }),
  },
  {
    name: 'GET /v1/customers/:customer_id/oauth-apps',
    items: 'oauth_apps',
    table: 'oauth_apps',
    ofCustomer: true,
    path: (customerId) => `/v1/customers/${customerId}/oauth-apps`,
    // A public address written as such: the rule needs no name resolved.
    create: (t, customer, n) =>
      t.http().post(`/v1/customers/${customer.id}/oauth-apps`).set(customer.headers).send({ provider: `provider-${n}`, client_id: 'c', client_secret: 's', token_url: 'https://93.184.216.34/token' }).expect(201),
  },
  {
    name: 'GET /v1/customers/:customer_id/webhooks',
    items: 'webhooks',
    table: 'webhooks',
    ofCustomer: true,
    path: (customerId) => `/v1/customers/${customerId}/webhooks`,
    // A public address written as such; no event is made while the list is tested, so it is never called.
    create: (t, customer, n) => t.http().post(`/v1/customers/${customer.id}/webhooks`).set(customer.headers).send({ url: `https://93.184.216.34/hooks/${n}`, events: ['*'] }).expect(201),
  },
];

/** More than the default page of 100. */
const SEEDED = 101;

describe.each(ROUTES)('$name: paging and access', (route) => {
  let t: TestApp;
  let customer: TestCustomer;
  let other: TestCustomer;

  /** The ids the list must give, in order: the rows of the table (of the customer), by created_at then id. */
  async function expectedIds(): Promise<string[]> {
    const rows: { id: string }[] = route.ofCustomer
      ? await t.db.query(`SELECT id FROM ${route.table} WHERE customer_id = $1 ORDER BY created_at, id`, [customer.id])
      : await t.db.query(`SELECT id FROM ${route.table} ORDER BY created_at, id`);
    return rows.map((row) => row.id);
  }
  const get = (query = '', headers: Record<string, string> = route.ofCustomer ? customer.headers : asAdmin) =>
    t.http().get(`${route.path(customer.id)}${query}`).set(headers);
  const ids = (body: Record<string, { id: string }[]>) => body[route.items].map((item) => item.id);

  beforeAll(async () => {
    t = await TestApp.start();
    [customer, other] = [await createCustomer(t), await createCustomer(t)];
    for (let n = 0; n < SEEDED; n += 10) {
      await Promise.all(Array.from({ length: Math.min(10, SEEDED - n) }, (_, i) => route.create(t, customer, n + i)));
    }
    // Another customer's rows, which a customer's list must not show.
    await route.create(t, other, 0);
    // Rows made at the same instant, which only the id orders.
    await t.db.query(`UPDATE ${route.table} SET created_at = '2021-01-01T00:00:00Z' WHERE id = ANY ($1)`, [(await expectedIds()).slice(-40)]);
  });
  afterAll(() => t.close());

  it('answers {<items>, total} with the first 100 by default, in created_at then id order', async () => {
    const expected = await expectedIds();
    expect(expected.length).toBeGreaterThan(100);
    const response = await get().expect(200);
    expect(Object.keys(response.body).sort()).toEqual([route.items, 'total'].sort());
    expect(response.body.total).toBe(expected.length);
    expect(ids(response.body)).toEqual(expected.slice(0, 100));
  });

  it('pages with limit and offset: the pages put together are the whole list, and total counts it all on each page', async () => {
    const expected = await expectedIds();
    const pages = [];
    for (let offset = 0; offset < expected.length; offset += 40) pages.push((await get(`?limit=40&offset=${offset}`).expect(200)).body);
    expect(pages.map((page) => page.total)).toEqual(pages.map(() => expected.length));
    expect(pages.flatMap(ids)).toEqual(expected);
  });

  it('accepts limit=1 and limit=1000, and answers an offset past the end with an empty page and the total', async () => {
    const expected = await expectedIds();
    expect(ids((await get('?limit=1').expect(200)).body)).toEqual(expected.slice(0, 1));
    expect(ids((await get('?limit=1000').expect(200)).body)).toEqual(expected);
    expect((await get('?offset=100000').expect(200)).body).toEqual({ [route.items]: [], total: expected.length });
  });

  it.each(['0', '1001', 'abc', '-1', '1.5', '1e2', ''])('rejects limit=%s with 422 at query.limit, never clamped', async (limit) => {
    expectValidationError(await get(`?limit=${limit}`), [['query', 'limit'], expect.any(String)]);
  });

  it.each(['-1', 'abc', '0.5'])('rejects offset=%s with 422 at query.offset', async (offset) => {
    expectValidationError(await get(`?offset=${offset}`), [['query', 'offset'], expect.any(String)]);
  });

  it('rejects a repeated limit with 422 at query.limit, and reports a bad limit and a bad offset together', async () => {
    expectValidationError(await get('?limit=1&limit=2'), [['query', 'limit'], expect.any(String)]);
    const both = await get('?limit=0&offset=-1');
    expect(both.status).toBe(422);
    expect(both.body.detail.map((issue: { loc: string[] }) => issue.loc)).toEqual(expect.arrayContaining([['query', 'limit'], ['query', 'offset']]));
  });

  it('refuses a request without credentials, or with an unknown key, with 401', async () => {
    expectUnauthorized(await get('', {}));
    expectUnauthorized(await get('', { 'X-Api-Key': 'hck_' + 'A'.repeat(43) }));
  });

  if (route.ofCustomer) {
    it('refuses another customer with 403, and answers the admin 404 for an unknown customer and 422 for a malformed id', async () => {
      expectErrorDetail(await get('', other.headers), 403);
      expectErrorDetail(await t.http().get(route.path(UNKNOWN_ID)).set(asAdmin), 404, 'Customer not found');
      expectValidationError(await t.http().get(route.path('not-a-uuid')).set(asAdmin), [['path', 'customer_id'], 'uuid_parsing']);
    });

    it("lets the admin list the customer's items alike", async () => {
      expect(ids((await get('?limit=1000', asAdmin).expect(200)).body)).toEqual(await expectedIds());
    });
  } else {
    it('refuses a customer with 403: admin only', async () => {
      expectErrorDetail(await get('', customer.headers), 403);
    });
  }
});
