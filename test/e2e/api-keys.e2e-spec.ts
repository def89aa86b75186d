import {
  API_KEY_SHAPE,
  bearer,
  columnsHolding,
  expectErrorDetail,
  expectUnauthorized,
  expectValidationError,
  sha256,
  signJwt,
  TIMESTAMP_SHAPE,
  UNKNOWN_ID,
  UUID_SHAPE,
} from '../support/expectations';
import { createCustomer, type TestCustomer } from '../support/factories';
import { asAdmin, TestApp } from '../support/test-app';

describe('API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  const keysPath = (customer: { id: string }) => `/v1/customers/${customer.id}/api-keys`;

  async function createKey(customer: TestCustomer, name = 'extra'): Promise<{ id: string; key: string }> {
    const response = await t.http().post(keysPath(customer)).set(customer.headers).send({ name }).expect(201);
    return { id: response.body.id, key: response.body.key };
  }

  describe('POST /v1/customers/:customer_id/api-keys', () => {
    it('creates an unnamed key from a request with no body at all', async () => {
      const customer = await createCustomer(t);
      const response = await t.http().post(keysPath(customer)).set(customer.headers).expect(201);
      expect(response.body).toMatchObject({ name: null, key: expect.stringMatching(/^hck_/) });
    });

    it('creates a key: 201 with the key shown once, Cache-Control: no-store, and only its hash stored', async () => {
      const customer = await createCustomer(t);
      const response = await t.http().post(keysPath(customer)).set(customer.headers).send({ name: 'ci pipeline' }).expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(UUID_SHAPE),
        name: 'ci pipeline',
        prefix: expect.any(String),
        created_at: expect.stringMatching(TIMESTAMP_SHAPE),
        last_used_at: null,
        key: expect.stringMatching(API_KEY_SHAPE),
      });
      expect(response.headers['cache-control']).toBe('no-store');
      const { key, prefix } = response.body;
      expect(prefix.startsWith('hck_')).toBe(true);
      expect(key.startsWith(prefix)).toBe(true);
      expect(prefix.length).toBeLessThan(key.length / 2);

      const [row] = await t.db.query('SELECT customer_id, name, prefix, key_hash FROM api_keys WHERE id = $1', [response.body.id]);
      expect(row).toEqual({ customer_id: customer.id, name: 'ci pipeline', prefix, key_hash: sha256(key) });
      expect(await columnsHolding(t.db, key)).toEqual([]);
    });

    it('makes a key that works from the next request', async () => {
      const customer = await createCustomer(t);
      const { key } = await createKey(customer);
      await t.http().get(`/v1/customers/${customer.id}`).set('X-Api-Key', key).expect(200);
      await t.http().get(`/v1/customers/${customer.id}`).set(bearer(key)).expect(200);
    });

    it('makes a different key each time (256 random bits)', async () => {
      const customer = await createCustomer(t);
      const keys = await Promise.all([1, 2, 3].map(() => createKey(customer)));
      expect(new Set(keys.map((created) => created.key)).size).toBe(3);
      for (const { key } of keys) expect(Buffer.from(key.slice(4), 'base64url')).toHaveLength(32);
    });

    it('takes the name as optional: {} and {"name": null} give a key without a name', async () => {
      const customer = await createCustomer(t);
      const unnamed = await t.http().post(keysPath(customer)).set(customer.headers).send({}).expect(201);
      expect(unnamed.body.name).toBeNull();
      const nullName = await t.http().post(keysPath(customer)).set(customer.headers).send({ name: null }).expect(201);
      expect(nullName.body.name).toBeNull();
      const [row] = await t.db.query('SELECT name FROM api_keys WHERE id = $1', [unnamed.body.id]);
      expect(row.name).toBeNull();
    });

    it('lets the admin create a key for any customer, and a customer JWT for its own', async () => {
      const customer = await createCustomer(t);
      const byAdmin = await t.http().post(keysPath(customer)).set(asAdmin).send({ name: 'by admin' }).expect(201);
      await t.http().get(`/v1/customers/${customer.id}`).set('X-Api-Key', byAdmin.body.key).expect(200);
      const token = await signJwt({ customer_id: customer.id });
      await t.http().post(keysPath(customer)).set(bearer(token)).send({ name: 'by jwt' }).expect(201);
    });

    it('refuses customer A on customer B with 403 and creates nothing', async () => {
      const a = await createCustomer(t);
      const b = await createCustomer(t);
      expectErrorDetail(await t.http().post(keysPath(b)).set(a.headers).send({ name: 'sneaky' }), 403);
      expect(await t.db.query("SELECT id FROM api_keys WHERE name = 'sneaky'")).toEqual([]);
    });

    it('answers an unknown customer with 404 for the admin', async () => {
      expectErrorDetail(await t.http().post(keysPath({ id: UNKNOWN_ID })).set(asAdmin).send({ name: 'x' }), 404, 'Customer not found');
    });

    it('refuses a request without credentials, or with an unknown key, with 401', async () => {
      const customer = await createCustomer(t);
      expectUnauthorized(await t.http().post(keysPath(customer)).send({ name: 'x' }));
      expectUnauthorized(await t.http().post(keysPath(customer)).set('X-Api-Key', 'hck_' + 'B'.repeat(43)).send({ name: 'x' }));
    });

    it('rejects a malformed customer id with 422 at path.customer_id', async () => {
      expectValidationError(await t.http().post('/v1/customers/nope/api-keys').set(asAdmin).send({}), [['path', 'customer_id'], 'uuid_parsing']);
    });

    it('rejects an empty name, a name over 255 chars, and a number, with 422 at body.name', async () => {
      const customer = await createCustomer(t);
      expectValidationError(await t.http().post(keysPath(customer)).set(customer.headers).send({ name: '' }), [['body', 'name'], 'string_too_short']);
      expectValidationError(await t.http().post(keysPath(customer)).set(customer.headers).send({ name: 'k'.repeat(256) }), [['body', 'name'], 'string_too_long']);
      expectValidationError(await t.http().post(keysPath(customer)).set(customer.headers).send({ name: 7 }), [['body', 'name'], 'string_type']);
    });

    it('rejects a NUL character in the name with 422 at body.name', async () => {
      const customer = await createCustomer(t);
      expectValidationError(await t.http().post(keysPath(customer)).set(customer.headers).send({ name: 'a\u0000' }), [['body', 'name'], 'string_nul']);
    });

    it('rejects unknown fields (a caller-chosen key, __proto__, constructor) with 422 extra_forbidden', async () => {
      const customer = await createCustomer(t);
      expectValidationError(await t.http().post(keysPath(customer)).set(customer.headers).send({ key: 'hck_mine' }), [['body', 'key'], 'extra_forbidden']);
      const proto = await t.http().post(keysPath(customer)).set(customer.headers).set('Content-Type', 'application/json').send('{"__proto__":{"name":"x"}}');
      expectValidationError(proto, [['body', '__proto__'], 'extra_forbidden']);
      const constructor = await t.http().post(keysPath(customer)).set(customer.headers).set('Content-Type', 'application/json').send('{"constructor":{}}');
      expectValidationError(constructor, [['body', 'constructor'], 'extra_forbidden']);
    });

    it('rejects a body that is not an object, and malformed JSON, with 422 at body', async () => {
      const customer = await createCustomer(t);
      const array = await t.http().post(keysPath(customer)).set(customer.headers).send(['x']);
      expect(array.status).toBe(422);
      expect(array.body.detail).toEqual([{ loc: ['body'], msg: expect.any(String), type: expect.any(String) }]);
      const malformed = await t.http().post(keysPath(customer)).set(customer.headers).set('Content-Type', 'application/json').send('{name:');
      expectValidationError(malformed, [['body'], 'json_invalid']);
    });
  });

  describe('GET /v1/customers/:customer_id/api-keys', () => {
    it('lists the customer\u2019s keys: each with id, name, prefix and timestamps, never the key (paging and access: list-routes.e2e-spec.ts)', async () => {
      const customer = await createCustomer(t);
      const created = [await createKey(customer, 'one'), await createKey(customer, 'two')];
      const response = await t.http().get(keysPath(customer)).set(customer.headers).expect(200);
      expect(Object.keys(response.body).sort()).toEqual(['api_keys', 'total']);
      expect(response.body.total).toBe(3);
      const rows: { id: string }[] = await t.db.query('SELECT id FROM api_keys WHERE customer_id = $1 ORDER BY created_at, id', [customer.id]);
      expect(response.body.api_keys.map((apiKey: { id: string }) => apiKey.id)).toEqual(rows.map((row) => row.id));
      for (const apiKey of response.body.api_keys) {
        expect(apiKey).toEqual({
          id: expect.stringMatching(UUID_SHAPE),
          name: expect.any(String),
          prefix: expect.stringMatching(/^hck_/),
          created_at: expect.stringMatching(TIMESTAMP_SHAPE),
          last_used_at: apiKey.last_used_at === null ? null : expect.stringMatching(TIMESTAMP_SHAPE),
        });
      }
      for (const { key } of [...created, { key: customer.apiKey }]) expect(response.text).not.toContain(key);
      expect(response.headers['cache-control'] ?? '').not.toContain('public');
    });

    it('shows when a key was last used', async () => {
      const customer = await createCustomer(t);
      const { id, key } = await createKey(customer, 'used');
      const before = Date.now();
      await t.http().get(`/v1/customers/${customer.id}`).set('X-Api-Key', key).expect(200);
      await t.flushLastUsed();
      const response = await t.http().get(keysPath(customer)).set(asAdmin).expect(200);
      const used = response.body.api_keys.find((apiKey: { id: string }) => apiKey.id === id);
      expect(used.last_used_at).toMatch(TIMESTAMP_SHAPE);
      expect(Date.parse(used.last_used_at)).toBeGreaterThanOrEqual(before - 1000);
    });
  });

  describe('DELETE /v1/customers/:customer_id/api-keys/:api_key_id', () => {
    it('revokes the key: 204, row gone, and the next request with it is 401; the other keys still work', async () => {
      const customer = await createCustomer(t);
      const revoked = await createKey(customer, 'to revoke');
      await t.http().get(`/v1/customers/${customer.id}`).set('X-Api-Key', revoked.key).expect(200);

      const response = await t.http().delete(`${keysPath(customer)}/${revoked.id}`).set(customer.headers).expect(204);
      expect(response.text).toBe('');
      expect(await t.db.query('SELECT id FROM api_keys WHERE id = $1', [revoked.id])).toEqual([]);
      expectUnauthorized(await t.http().get(`/v1/customers/${customer.id}`).set('X-Api-Key', revoked.key));
      expectUnauthorized(await t.http().get(`/v1/customers/${customer.id}`).set(bearer(revoked.key)));
      await t.http().get(`/v1/customers/${customer.id}`).set(customer.headers).expect(200);
    });

    it('lets a key revoke itself; it fails from the next request', async () => {
      const customer = await createCustomer(t);
      const self = await createKey(customer, 'self');
      await t.http().delete(`${keysPath(customer)}/${self.id}`).set('X-Api-Key', self.key).expect(204);
      expectUnauthorized(await t.http().get(keysPath(customer)).set('X-Api-Key', self.key));
    });

    it('lets the admin revoke any customer\u2019s key', async () => {
      const customer = await createCustomer(t);
      const created = await createKey(customer);
      await t.http().delete(`${keysPath(customer)}/${created.id}`).set(asAdmin).expect(204);
      expectUnauthorized(await t.http().get(`/v1/customers/${customer.id}`).set('X-Api-Key', created.key));
    });

    it('answers customer A\u2019s key id under customer B\u2019s path with 404, for the admin and for B, and keeps the key', async () => {
      const a = await createCustomer(t);
      const b = await createCustomer(t);
      const aKey = await createKey(a);
      expectErrorDetail(await t.http().delete(`${keysPath(b)}/${aKey.id}`).set(asAdmin), 404, 'API key not found');
      expectErrorDetail(await t.http().delete(`${keysPath(b)}/${aKey.id}`).set(b.headers), 404, 'API key not found');
      expect(await t.db.query('SELECT id FROM api_keys WHERE id = $1', [aKey.id])).toHaveLength(1);
      await t.http().get(`/v1/customers/${a.id}`).set('X-Api-Key', aKey.key).expect(200);
    });

    it('refuses customer A on customer B\u2019s path with 403, and keeps the key', async () => {
      const a = await createCustomer(t);
      const b = await createCustomer(t);
      const bKey = await createKey(b);
      expectErrorDetail(await t.http().delete(`${keysPath(b)}/${bKey.id}`).set(a.headers), 403);
      expect(await t.db.query('SELECT id FROM api_keys WHERE id = $1', [bKey.id])).toHaveLength(1);
    });

    it('answers an unknown key id, and a second delete, with 404', async () => {
      const customer = await createCustomer(t);
      const created = await createKey(customer);
      await t.http().delete(`${keysPath(customer)}/${created.id}`).set(customer.headers).expect(204);
      expectErrorDetail(await t.http().delete(`${keysPath(customer)}/${created.id}`).set(customer.headers), 404, 'API key not found');
      expectErrorDetail(await t.http().delete(`${keysPath(customer)}/${UNKNOWN_ID}`).set(customer.headers), 404, 'API key not found');
    });

    it('rejects malformed ids with 422 at path.api_key_id and path.customer_id', async () => {
      const customer = await createCustomer(t);
      expectValidationError(await t.http().delete(`${keysPath(customer)}/not-a-uuid`).set(customer.headers), [['path', 'api_key_id'], 'uuid_parsing']);
      expectValidationError(await t.http().delete(`/v1/customers/x/api-keys/${UNKNOWN_ID}`).set(asAdmin), [['path', 'customer_id'], 'uuid_parsing']);
    });

    it('refuses a request without credentials with 401, and keeps the key', async () => {
      const customer = await createCustomer(t);
      const created = await createKey(customer);
      expectUnauthorized(await t.http().delete(`${keysPath(customer)}/${created.id}`));
      expect(await t.db.query('SELECT id FROM api_keys WHERE id = $1', [created.id])).toHaveLength(1);
    });
  });

  describe('keys at rest', () => {
    it('keeps no API key in clear in any text or binary column of any table', async () => {
      const customer = await createCustomer(t);
      const keys = [customer.apiKey, (await createKey(customer)).key];
      for (const key of keys) {
        expect(await columnsHolding(t.db, key)).toEqual([]);
        // The secret part alone is not stored either (only the display prefix is).
        expect(await columnsHolding(t.db, key.slice(12))).toEqual([]);
      }
      // The scan does find what is stored: it is not vacuous.
      expect(await columnsHolding(t.db, customer.name)).toEqual(['customers.name']);
    });
  });
});
