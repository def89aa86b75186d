import {
  bearer,
  columnsHolding,
  expectErrorDetail,
  expectUnauthorized,
  expectValidationError,
  signJwt,
  TIMESTAMP_SHAPE,
  UNKNOWN_ID,
  UUID_SHAPE,
} from '../support/expectations';
import { createConnection, createCustomer, createInstance, grantConnection } from '../support/factories';
import { asAdmin, TEST_ADMIN_KEY, TestApp } from '../support/test-app';

describe('Customers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  describe('POST /v1/customers', () => {
    it('creates a customer as admin: 201 with {id, name, created_at}, and the row is stored', async () => {
      const response = await t.http().post('/v1/customers').set(asAdmin).send({ name: 'Acme' }).expect(201);
      expect(response.body).toEqual({ id: expect.stringMatching(UUID_SHAPE), name: 'Acme', created_at: expect.stringMatching(TIMESTAMP_SHAPE) });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const [row] = await t.db.query('SELECT name, created_at FROM customers WHERE id = $1', [response.body.id]);
      expect(row.name).toBe('Acme');
      expect(row.created_at.toISOString()).toBe(response.body.created_at);
    });

    it('accepts the admin key as Authorization: Bearer', async () => {
      await t.http().post('/v1/customers').set(bearer(TEST_ADMIN_KEY)).send({ name: 'Bearer Co' }).expect(201);
    });

    it('accepts a JWT whose roles claim contains "admin"', async () => {
      const token = await signJwt({ sub: 'ops', roles: ['reader', 'admin'] });
      await t.http().post('/v1/customers').set(bearer(token)).send({ name: 'Jwt Co' }).expect(201);
    });

    it('accepts a name of exactly 255 characters and keeps unicode as sent', async () => {
      const name = 'é'.repeat(255);
      const response = await t.http().post('/v1/customers').set(asAdmin).send({ name }).expect(201);
      expect(response.body.name).toBe(name);
    });

    it('refuses a request without credentials with 401 and WWW-Authenticate: Bearer', async () => {
      const response = await t.http().post('/v1/customers').send({ name: 'Nope' });
      expectUnauthorized(response);
    });

    it('refuses an unknown key with 401, in X-Api-Key and in Authorization alike', async () => {
      expectUnauthorized(await t.http().post('/v1/customers').set('X-Api-Key', 'not-the-admin-key-0123456789abcdef0123').send({ name: 'x' }));
      expectUnauthorized(await t.http().post('/v1/customers').set(bearer('hck_' + 'A'.repeat(43))).send({ name: 'x' }));
    });

    it('refuses a customer (API key or JWT) with 403: admin only', async () => {
      const customer = await createCustomer(t);
      expectErrorDetail(await t.http().post('/v1/customers').set(customer.headers).send({ name: 'x' }), 403);
      const token = await signJwt({ customer_id: customer.id });
      expectErrorDetail(await t.http().post('/v1/customers').set(bearer(token)).send({ name: 'x' }), 403);
    });

    it('checks credentials before the body: no credentials and a bad body is 401', async () => {
      expectUnauthorized(await t.http().post('/v1/customers').send({ name: '' }));
    });

    it('rejects a missing name with 422 at body.name (type missing)', async () => {
      expectValidationError(await t.http().post('/v1/customers').set(asAdmin).send({}), [['body', 'name'], 'missing']);
    });

    it('rejects an empty name with 422 at body.name', async () => {
      expectValidationError(await t.http().post('/v1/customers').set(asAdmin).send({ name: '' }), [['body', 'name'], 'string_too_short']);
    });

    it('rejects a name over 255 chars with 422 at body.name', async () => {
      expectValidationError(await t.http().post('/v1/customers').set(asAdmin).send({ name: 'a'.repeat(256) }), [['body', 'name'], 'string_too_long']);
    });

    it('rejects a number, null or array as name with 422 at body.name: no coercion', async () => {
      expectValidationError(await t.http().post('/v1/customers').set(asAdmin).send({ name: 5 }), [['body', 'name'], 'string_type']);
      expectValidationError(await t.http().post('/v1/customers').set(asAdmin).send({ name: ['Acme'] }), [['body', 'name'], 'string_type']);
      const nullName = await t.http().post('/v1/customers').set(asAdmin).send({ name: null });
      expect(nullName.status).toBe(422);
      expect(nullName.body.detail).toEqual([{ loc: ['body', 'name'], msg: expect.any(String), type: expect.any(String) }]);
    });

    it('rejects a name holding a NUL character with 422 at body.name', async () => {
      expectValidationError(await t.http().post('/v1/customers').set(asAdmin).send({ name: 'Ac\u0000me' }), [['body', 'name'], 'string_nul']);
    });

    it('rejects an unknown field with 422 extra_forbidden at its name', async () => {
      expectValidationError(await t.http().post('/v1/customers').set(asAdmin).send({ name: 'Acme', plan: 'gold' }), [['body', 'plan'], 'extra_forbidden']);
    });

    it('rejects __proto__ and constructor keys with 422 extra_forbidden', async () => {
      const proto = await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/json').send('{"name":"Acme","__proto__":{"admin":true}}');
      expectValidationError(proto, [['body', '__proto__'], 'extra_forbidden']);
      const constructor = await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/json').send('{"name":"Acme","constructor":{"prototype":{"admin":true}}}');
      expectValidationError(constructor, [['body', 'constructor'], 'extra_forbidden']);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });

    it('reports every problem, one entry each', async () => {
      const response = await t.http().post('/v1/customers').set(asAdmin).send({ name: '', plan: 'gold' });
      expect(response.status).toBe(422);
      expect(response.body.detail).toEqual(
        expect.arrayContaining([
          { loc: ['body', 'plan'], msg: expect.any(String), type: 'extra_forbidden' },
          { loc: ['body', 'name'], msg: expect.any(String), type: 'string_too_short' },
        ]),
      );
      expect(response.body.detail).toHaveLength(2);
    });

    it('rejects a body that is not an object (array, string, number, null) with 422 at body', async () => {
      for (const raw of ['[{"name":"Acme"}]', '"Acme"', '42', 'null']) {
        const response = await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/json').send(raw);
        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([{ loc: ['body'], msg: expect.any(String), type: expect.any(String) }]);
      }
    });

    it('rejects malformed JSON with 422 json_invalid at body, without echoing the input', async () => {
      const response = await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/json').send('{"name": "leaked-marker-7f3a');
      expectValidationError(response, [['body'], 'json_invalid']);
      expect(response.text).not.toContain('leaked-marker-7f3a');
    });

    it('rejects an empty JSON body with 422 at body', async () => {
      const response = await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/json').send('');
      expect(response.status).toBe(422);
      expect(response.body.detail).toEqual([{ loc: ['body'], msg: expect.any(String), type: expect.any(String) }]);
    });

    it('stores nothing when validation fails', async () => {
      const before = await t.db.query('SELECT count(*)::int AS count FROM customers');
      await t.http().post('/v1/customers').set(asAdmin).send({ name: 'Ghost', extra: 1 }).expect(422);
      const after = await t.db.query('SELECT count(*)::int AS count FROM customers');
      expect(after[0].count).toBe(before[0].count);
      expect(await t.db.query("SELECT id FROM customers WHERE name = 'Ghost'")).toEqual([]);
    });
  });

  describe('GET /v1/customers', () => {
    it('shows each customer as {id, name, created_at} (paging and access: list-routes.e2e-spec.ts)', async () => {
      const created = await createCustomer(t, 'Listed Co');
      const response = await t.http().get('/v1/customers?limit=1000').set(asAdmin).expect(200);
      expect(response.body.customers).toContainEqual({ id: created.id, name: 'Listed Co', created_at: expect.stringMatching(TIMESTAMP_SHAPE) });
      for (const customer of response.body.customers) {
        expect(customer).toEqual({ id: expect.stringMatching(UUID_SHAPE), name: expect.any(String), created_at: expect.stringMatching(TIMESTAMP_SHAPE) });
      }
    });
  });

  describe('GET /v1/customers/:customer_id', () => {
    it('gives a customer itself, with its API key in X-Api-Key or Authorization: Bearer', async () => {
      const customer = await createCustomer(t, 'Self Co');
      const expected = { id: customer.id, name: 'Self Co', created_at: expect.stringMatching(TIMESTAMP_SHAPE) };
      expect((await t.http().get(`/v1/customers/${customer.id}`).set(customer.headers).expect(200)).body).toEqual(expected);
      expect((await t.http().get(`/v1/customers/${customer.id}`).set(bearer(customer.apiKey)).expect(200)).body).toEqual(expected);
    });

    it('gives a customer itself with a JWT whose customer_id claim names it', async () => {
      const customer = await createCustomer(t);
      const token = await signJwt({ customer_id: customer.id });
      const response = await t.http().get(`/v1/customers/${customer.id}`).set(bearer(token)).expect(200);
      expect(response.body.id).toBe(customer.id);
    });

    it('gives the admin any customer (admin may use customer routes)', async () => {
      const customer = await createCustomer(t);
      const response = await t.http().get(`/v1/customers/${customer.id}`).set(asAdmin).expect(200);
      expect(response.body.id).toBe(customer.id);
    });

    it('accepts the id in upper case', async () => {
      const customer = await createCustomer(t);
      const response = await t.http().get(`/v1/customers/${customer.id.toUpperCase()}`).set(customer.headers).expect(200);
      expect(response.body.id).toBe(customer.id);
    });

    it('refuses customer A on customer B with 403, whatever the credential', async () => {
      const a = await createCustomer(t);
      const b = await createCustomer(t);
      expectErrorDetail(await t.http().get(`/v1/customers/${b.id}`).set(a.headers), 403);
      expectErrorDetail(await t.http().get(`/v1/customers/${b.id}`).set(await jwtHeaders(a.id)), 403);
    });

    it('refuses a customer on an unknown customer id with 403, revealing nothing', async () => {
      const a = await createCustomer(t);
      expectErrorDetail(await t.http().get(`/v1/customers/${UNKNOWN_ID}`).set(a.headers), 403);
    });

    it('answers an unknown id with 404 for the admin', async () => {
      expectErrorDetail(await t.http().get(`/v1/customers/${UNKNOWN_ID}`).set(asAdmin), 404, 'Customer not found');
    });

    it('rejects a malformed id with 422 at path.customer_id, for the admin and for a customer', async () => {
      const customer = await createCustomer(t);
      expectValidationError(await t.http().get('/v1/customers/not-a-uuid').set(asAdmin), [['path', 'customer_id'], 'uuid_parsing']);
      expectValidationError(await t.http().get('/v1/customers/not-a-uuid').set(customer.headers), [['path', 'customer_id'], 'uuid_parsing']);
      expectValidationError(await t.http().get(`/v1/customers/${customer.id}x`).set(asAdmin), [['path', 'customer_id'], 'uuid_parsing']);
    });

    it('refuses a request without credentials with 401, even for a malformed id', async () => {
      const customer = await createCustomer(t);
      expectUnauthorized(await t.http().get(`/v1/customers/${customer.id}`));
      expectUnauthorized(await t.http().get('/v1/customers/not-a-uuid'));
    });

    it('refuses an unknown API key with 401', async () => {
      const customer = await createCustomer(t);
      expectUnauthorized(await t.http().get(`/v1/customers/${customer.id}`).set('X-Api-Key', `hck_${'x'.repeat(43)}`));
    });
  });

  describe('DELETE /v1/customers/:customer_id', () => {
    it('deletes the customer and everything it owns: 204, rows gone, its keys fail with 401 from the next request', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      const connection = await createConnection(t, customer);
      await grantConnection(t, customer, connection, instance, ['read']);
      const otherCustomer = await createCustomer(t);
      const otherInstance = await createInstance(t, otherCustomer);
      const fetchPath = `/internal/v1/instances/${instance.id}/connections?provider=${connection.provider}`;
      await t.http().get(`/v1/customers/${customer.id}`).set(customer.headers).expect(200);
      await t.http().get(fetchPath).set(instance.headers).expect(200);

      const response = await t.http().delete(`/v1/customers/${customer.id}`).set(asAdmin).expect(204);
      expect(response.text).toBe('');

      expect(await t.db.query('SELECT id FROM customers WHERE id = $1', [customer.id])).toEqual([]);
      expect(await t.db.query('SELECT id FROM api_keys WHERE customer_id = $1', [customer.id])).toEqual([]);
      expect(await t.db.query('SELECT id FROM instances WHERE customer_id = $1', [customer.id])).toEqual([]);
      expect(await t.db.query('SELECT id FROM connections WHERE customer_id = $1', [customer.id])).toEqual([]);
      expect(await t.db.query('SELECT id FROM grants WHERE instance_id = $1 OR connection_id = $2', [instance.id, connection.id])).toEqual([]);
      expectUnauthorized(await t.http().get(`/v1/customers/${customer.id}`).set(customer.headers));
      expectUnauthorized(await t.http().get(fetchPath).set(instance.headers));

      // Nothing of another customer goes with it.
      expect(await t.db.query('SELECT id FROM instances WHERE id = $1', [otherInstance.id])).toHaveLength(1);
      await t.http().get(`/v1/customers/${otherCustomer.id}`).set(otherCustomer.headers).expect(200);
    });

    it('answers a second delete, and an unknown id, with 404', async () => {
      const customer = await createCustomer(t);
      await t.http().delete(`/v1/customers/${customer.id}`).set(asAdmin).expect(204);
      expectErrorDetail(await t.http().delete(`/v1/customers/${customer.id}`).set(asAdmin), 404, 'Customer not found');
      expectErrorDetail(await t.http().delete(`/v1/customers/${UNKNOWN_ID}`).set(asAdmin), 404, 'Customer not found');
    });

    it('accepts an admin JWT', async () => {
      const customer = await createCustomer(t);
      await t.http().delete(`/v1/customers/${customer.id}`).set(bearer(await signJwt({ roles: ['admin'] }))).expect(204);
    });

    it('refuses a customer deleting itself with 403 (admin only), and keeps it', async () => {
      const customer = await createCustomer(t);
      expectErrorDetail(await t.http().delete(`/v1/customers/${customer.id}`).set(customer.headers), 403);
      expect(await t.db.query('SELECT id FROM customers WHERE id = $1', [customer.id])).toHaveLength(1);
    });

    it('refuses customer A on customer B with 403, and keeps B', async () => {
      const a = await createCustomer(t);
      const b = await createCustomer(t);
      expectErrorDetail(await t.http().delete(`/v1/customers/${b.id}`).set(a.headers), 403);
      expect(await t.db.query('SELECT id FROM customers WHERE id = $1', [b.id])).toHaveLength(1);
    });

    it('rejects a malformed id with 422 at path.customer_id', async () => {
      expectValidationError(await t.http().delete('/v1/customers/123').set(asAdmin), [['path', 'customer_id'], 'uuid_parsing']);
    });

    it('refuses a request without credentials with 401, and keeps the customer', async () => {
      const customer = await createCustomer(t);
      expectUnauthorized(await t.http().delete(`/v1/customers/${customer.id}`));
      expect(await t.db.query('SELECT id FROM customers WHERE id = $1', [customer.id])).toHaveLength(1);
    });
  });

  describe('the admin key', () => {
    it('is never stored in the database', async () => {
      expect(await columnsHolding(t.db, TEST_ADMIN_KEY)).toEqual([]);
    });
  });

  async function jwtHeaders(customerId: string): Promise<Record<string, string>> {
    return bearer(await signJwt({ customer_id: customerId }));
  }
});
