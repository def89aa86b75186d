import {
  bearer,
  columnsHolding,
  expectErrorDetail,
  expectUnauthorized,
  expectValidationError,
  PROXY_KEY_SHAPE,
  sha256,
  signJwt,
  TIMESTAMP_SHAPE,
  UNKNOWN_ID,
  UUID_SHAPE,
} from '../support/expectations';
import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer } from '../support/factories';
import { asAdmin, TestApp } from '../support/test-app';

describe('Instances', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  const instancesPath = (customer: { id: string }) => `/v1/customers/${customer.id}/instances`;

  /**
   * Whether the instance route takes `proxyKey` for `instanceId` right now: 401 if not; if it does, the
   * route goes on to look for a connection of a provider nobody has, and answers 404.
   */
  async function proxyKeyAccepted(instanceId: string, proxyKey: string): Promise<boolean> {
    const response = await t.http().get(`/internal/v1/instances/${instanceId}/connections?provider=no-such-provider`).set(bearer(proxyKey));
    if (response.status === 401) {
      expectUnauthorized(response);
      return false;
    }
    expectErrorDetail(response, 404);
    return true;
  }

  async function storedProxyKeyHash(instanceId: string): Promise<Buffer | undefined> {
    const [row] = await t.db.query('SELECT proxy_key_hash FROM instances WHERE id = $1', [instanceId]);
    return row?.proxy_key_hash;
  }

  describe('POST /v1/customers/:customer_id/instances', () => {
    it('registers an instance: 201 with its proxy key shown once, Cache-Control: no-store, only the hash stored', async () => {
      const customer = await createCustomer(t);
      const response = await t.http().post(instancesPath(customer)).set(customer.headers).send({ name: 'rostering-agent' }).expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(UUID_SHAPE),
        customer_id: customer.id,
        name: 'rostering-agent',
        created_at: expect.stringMatching(TIMESTAMP_SHAPE),
        proxy_key: expect.stringMatching(PROXY_KEY_SHAPE),
      });
      expect(response.headers['cache-control']).toBe('no-store');
      const [row] = await t.db.query('SELECT customer_id, name, proxy_key_hash FROM instances WHERE id = $1', [response.body.id]);
      expect(row).toEqual({ customer_id: customer.id, name: 'rostering-agent', proxy_key_hash: sha256(response.body.proxy_key) });
      expect(await columnsHolding(t.db, response.body.proxy_key)).toEqual([]);
      expect(await proxyKeyAccepted(response.body.id, response.body.proxy_key)).toBe(true);
    });

    it('gives every instance its own random proxy key', async () => {
      const customer = await createCustomer(t);
      const instances = await Promise.all([1, 2, 3].map((n) => createInstance(t, customer, `agent ${n}`)));
      expect(new Set(instances.map((instance) => instance.proxyKey)).size).toBe(3);
      for (const { proxyKey } of instances) expect(Buffer.from(proxyKey.slice(4), 'base64url')).toHaveLength(32);
    });

    it('lets the admin and a customer JWT register instances', async () => {
      const customer = await createCustomer(t);
      const byAdmin = await t.http().post(instancesPath(customer)).set(asAdmin).send({ name: 'by admin' }).expect(201);
      expect(byAdmin.body.customer_id).toBe(customer.id);
      const token = await signJwt({ customer_id: customer.id });
      await t.http().post(instancesPath(customer)).set(bearer(token)).send({ name: 'by jwt' }).expect(201);
    });

    it('refuses customer A on customer B with 403 and registers nothing', async () => {
      const a = await createCustomer(t);
      const b = await createCustomer(t);
      expectErrorDetail(await t.http().post(instancesPath(b)).set(a.headers).send({ name: 'sneaky' }), 403);
      expect(await t.db.query("SELECT id FROM instances WHERE name = 'sneaky'")).toEqual([]);
    });

    it('answers an unknown customer with 404 for the admin', async () => {
      expectErrorDetail(await t.http().post(instancesPath({ id: UNKNOWN_ID })).set(asAdmin).send({ name: 'x' }), 404, 'Customer not found');
    });

    it('refuses a request without credentials, or with an unknown key, with 401', async () => {
      const customer = await createCustomer(t);
      expectUnauthorized(await t.http().post(instancesPath(customer)).send({ name: 'x' }));
      expectUnauthorized(await t.http().post(instancesPath(customer)).set('X-Api-Key', 'wrong').send({ name: 'x' }));
    });

    it('rejects a malformed customer id with 422 at path.customer_id', async () => {
      expectValidationError(await t.http().post('/v1/customers/abc/instances').set(asAdmin).send({ name: 'x' }), [['path', 'customer_id'], 'uuid_parsing']);
    });

    it('rejects a missing, empty, over-long or non-string name with 422 at body.name', async () => {
      const customer = await createCustomer(t);
      const post = (body: unknown) => t.http().post(instancesPath(customer)).set(customer.headers).send(body as object);
      expectValidationError(await post({}), [['body', 'name'], 'missing']);
      expectValidationError(await post({ name: '' }), [['body', 'name'], 'string_too_short']);
      expectValidationError(await post({ name: 'n'.repeat(256) }), [['body', 'name'], 'string_too_long']);
      expectValidationError(await post({ name: 12 }), [['body', 'name'], 'string_type']);
      expectValidationError(await post({ name: { first: 'a' } }), [['body', 'name'], 'string_type']);
      await post({ name: 'n'.repeat(255) }).expect(201);
    });

    it('rejects a NUL character in the name with 422 at body.name', async () => {
      const customer = await createCustomer(t);
      expectValidationError(await t.http().post(instancesPath(customer)).set(customer.headers).send({ name: '\u0000' }), [['body', 'name'], 'string_nul']);
    });

    it('rejects unknown fields (a caller-chosen proxy_key, __proto__, constructor) with 422 extra_forbidden', async () => {
      const customer = await createCustomer(t);
      const send = (raw: string) => t.http().post(instancesPath(customer)).set(customer.headers).set('Content-Type', 'application/json').send(raw);
      expectValidationError(await send('{"name":"a","proxy_key":"hcp_mine"}'), [['body', 'proxy_key'], 'extra_forbidden']);
      expectValidationError(await send('{"name":"a","__proto__":{"customer_id":"x"}}'), [['body', '__proto__'], 'extra_forbidden']);
      expectValidationError(await send('{"name":"a","constructor":{}}'), [['body', 'constructor'], 'extra_forbidden']);
      expect(await t.db.query('SELECT id FROM instances WHERE customer_id = $1', [customer.id])).toEqual([]);
    });

    it('rejects a body that is not an object, and malformed JSON without echoing it, with 422 at body', async () => {
      const customer = await createCustomer(t);
      const notObject = await t.http().post(instancesPath(customer)).set(customer.headers).set('Content-Type', 'application/json').send('"agent"');
      expect(notObject.status).toBe(422);
      expect(notObject.body.detail).toEqual([{ loc: ['body'], msg: expect.any(String), type: expect.any(String) }]);
      const malformed = await t.http().post(instancesPath(customer)).set(customer.headers).set('Content-Type', 'application/json').send('{"name": "marker-91c2"');
      expectValidationError(malformed, [['body'], 'json_invalid']);
      expect(malformed.text).not.toContain('marker-91c2');
    });
  });

  describe('GET /v1/customers/:customer_id/instances', () => {
    it('lists the customer\u2019s instances with their fields, never a proxy key (paging and access: list-routes.e2e-spec.ts)', async () => {
      const customer = await createCustomer(t);
      const created = [await createInstance(t, customer, 'one'), await createInstance(t, customer, 'two')];
      const response = await t.http().get(instancesPath(customer)).set(customer.headers).expect(200);
      expect(response.body).toEqual({
        instances: [
          { id: created[0].id, customer_id: customer.id, name: 'one', created_at: expect.stringMatching(TIMESTAMP_SHAPE) },
          { id: created[1].id, customer_id: customer.id, name: 'two', created_at: expect.stringMatching(TIMESTAMP_SHAPE) },
        ],
        total: 2,
      });
      for (const { proxyKey } of created) expect(response.text).not.toContain(proxyKey);
    });

    it('answers an existing customer without instances with an empty page', async () => {
      const customer = await createCustomer(t);
      expect((await t.http().get(instancesPath(customer)).set(customer.headers).expect(200)).body).toEqual({ instances: [], total: 0 });
    });
  });

  describe('DELETE /v1/customers/:customer_id/instances/:instance_id', () => {
    it('deletes the instance: 204, row and grants gone, its proxy key fails from the next request', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      const kept = await createInstance(t, customer, 'kept');
      const connection = await createConnection(t, customer);
      await grantConnection(t, customer, connection, instance);
      const keptGrant = await grantConnection(t, customer, connection, kept);
      const response = await t.http().delete(`${instancesPath(customer)}/${instance.id}`).set(customer.headers).expect(204);
      expect(response.text).toBe('');
      expect(await t.db.query('SELECT id FROM instances WHERE id = $1', [instance.id])).toEqual([]);
      expect(await t.db.query('SELECT id FROM grants WHERE instance_id = $1', [instance.id])).toEqual([]);
      expect(await t.db.query('SELECT id FROM grants WHERE connection_id = $1', [connection.id])).toEqual([{ id: keptGrant.id }]);
      expect(await proxyKeyAccepted(instance.id, instance.proxyKey)).toBe(false);
      expect(await proxyKeyAccepted(kept.id, kept.proxyKey)).toBe(true);
    });

    it('lets the admin delete any customer\u2019s instance', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      await t.http().delete(`${instancesPath(customer)}/${instance.id}`).set(asAdmin).expect(204);
      expect(await t.db.query('SELECT id FROM instances WHERE id = $1', [instance.id])).toEqual([]);
    });

    it('answers customer A\u2019s instance id under customer B\u2019s path with 404, for the admin and for B, and keeps it', async () => {
      const a = await createCustomer(t);
      const b = await createCustomer(t);
      const aInstance = await createInstance(t, a);
      expectErrorDetail(await t.http().delete(`${instancesPath(b)}/${aInstance.id}`).set(asAdmin), 404, 'Instance not found');
      expectErrorDetail(await t.http().delete(`${instancesPath(b)}/${aInstance.id}`).set(b.headers), 404, 'Instance not found');
      expect(await t.db.query('SELECT id FROM instances WHERE id = $1', [aInstance.id])).toHaveLength(1);
    });

    it('refuses customer A on customer B\u2019s path with 403, and keeps the instance', async () => {
      const a = await createCustomer(t);
      const b = await createCustomer(t);
      const bInstance = await createInstance(t, b);
      expectErrorDetail(await t.http().delete(`${instancesPath(b)}/${bInstance.id}`).set(a.headers), 403);
      expect(await t.db.query('SELECT id FROM instances WHERE id = $1', [bInstance.id])).toHaveLength(1);
    });

    it('answers an unknown instance id, and a second delete, with 404', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      await t.http().delete(`${instancesPath(customer)}/${instance.id}`).set(customer.headers).expect(204);
      expectErrorDetail(await t.http().delete(`${instancesPath(customer)}/${instance.id}`).set(customer.headers), 404, 'Instance not found');
      expectErrorDetail(await t.http().delete(`${instancesPath(customer)}/${UNKNOWN_ID}`).set(customer.headers), 404, 'Instance not found');
    });

    it('rejects malformed ids with 422 at path.instance_id and path.customer_id', async () => {
      const customer = await createCustomer(t);
      expectValidationError(await t.http().delete(`${instancesPath(customer)}/nope`).set(customer.headers), [['path', 'instance_id'], 'uuid_parsing']);
      expectValidationError(await t.http().delete(`/v1/customers/nope/instances/${UNKNOWN_ID}`).set(asAdmin), [['path', 'customer_id'], 'uuid_parsing']);
    });

    it('refuses a request without credentials with 401, and keeps the instance', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      expectUnauthorized(await t.http().delete(`${instancesPath(customer)}/${instance.id}`));
      expect(await t.db.query('SELECT id FROM instances WHERE id = $1', [instance.id])).toHaveLength(1);
    });
  });

  describe('POST /v1/customers/:customer_id/instances/:instance_id/proxy-key', () => {
    const rotatePath = (customer: TestCustomer | { id: string }, instanceId: string) => `${instancesPath(customer)}/${instanceId}/proxy-key`;

    it('rotates the key: 201 {proxy_key} with Cache-Control: no-store; the stored hash is the new key\u2019s; the old key fails at once', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      const connection = await createConnection(t, customer, { provider: 'gmail', credentials: { access_token: 'tok-rotation' } });
      await grantConnection(t, customer, connection, instance, ['send_mail']);
      const fetchPath = `/internal/v1/instances/${instance.id}/connections?provider=gmail`;
      await t.http().get(fetchPath).set(bearer(instance.proxyKey)).expect(200);

      const response = await t.http().post(rotatePath(customer, instance.id)).set(customer.headers).expect(201);
      expect(response.body).toEqual({ proxy_key: expect.stringMatching(PROXY_KEY_SHAPE) });
      expect(response.headers['cache-control']).toBe('no-store');
      const newKey: string = response.body.proxy_key;
      expect(newKey).not.toBe(instance.proxyKey);
      expect(await storedProxyKeyHash(instance.id)).toEqual(sha256(newKey));

      expectUnauthorized(await t.http().get(fetchPath).set(bearer(instance.proxyKey)));
      const fetched = await t.http().get(fetchPath).set(bearer(newKey)).expect(200);
      expect(fetched.body).toMatchObject({ credentials: { access_token: 'tok-rotation' }, capabilities: ['send_mail'] });
      expect(await columnsHolding(t.db, newKey)).toEqual([]);
    });

    it('can rotate again: each rotation retires the key before it', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      const second = (await t.http().post(rotatePath(customer, instance.id)).set(customer.headers).expect(201)).body.proxy_key;
      const third = (await t.http().post(rotatePath(customer, instance.id)).set(customer.headers).expect(201)).body.proxy_key;
      expect(await proxyKeyAccepted(instance.id, instance.proxyKey)).toBe(false);
      expect(await proxyKeyAccepted(instance.id, second)).toBe(false);
      expect(await proxyKeyAccepted(instance.id, third)).toBe(true);
    });

    it('makes the new key itself: a key sent in a body is never used', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      const chosen = `hcp_${'C'.repeat(43)}`;
      const response = await t.http().post(rotatePath(customer, instance.id)).set(customer.headers).send({ proxy_key: chosen }).expect(201);
      expect(response.body.proxy_key).toMatch(PROXY_KEY_SHAPE);
      expect(response.body.proxy_key).not.toBe(chosen);
      expect(await proxyKeyAccepted(instance.id, chosen)).toBe(false);
    });

    it('lets the admin rotate any customer\u2019s instance key', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      const response = await t.http().post(rotatePath(customer, instance.id)).set(asAdmin).expect(201);
      expect(await storedProxyKeyHash(instance.id)).toEqual(sha256(response.body.proxy_key));
    });

    it('answers customer A\u2019s instance id under customer B\u2019s path with 404, for the admin and for B; A\u2019s key keeps working', async () => {
      const a = await createCustomer(t);
      const b = await createCustomer(t);
      const aInstance = await createInstance(t, a);
      expectErrorDetail(await t.http().post(rotatePath(b, aInstance.id)).set(asAdmin), 404, 'Instance not found');
      expectErrorDetail(await t.http().post(rotatePath(b, aInstance.id)).set(b.headers), 404, 'Instance not found');
      expect(await storedProxyKeyHash(aInstance.id)).toEqual(sha256(aInstance.proxyKey));
      expect(await proxyKeyAccepted(aInstance.id, aInstance.proxyKey)).toBe(true);
    });

    it('refuses customer A on customer B\u2019s path with 403, and keeps the key', async () => {
      const a = await createCustomer(t);
      const b = await createCustomer(t);
      const bInstance = await createInstance(t, b);
      expectErrorDetail(await t.http().post(rotatePath(b, bInstance.id)).set(a.headers), 403);
      expect(await storedProxyKeyHash(bInstance.id)).toEqual(sha256(bInstance.proxyKey));
    });

    it('answers an unknown instance id with 404', async () => {
      const customer = await createCustomer(t);
      expectErrorDetail(await t.http().post(rotatePath(customer, UNKNOWN_ID)).set(customer.headers), 404, 'Instance not found');
    });

    it('rejects a malformed instance id with 422 at path.instance_id', async () => {
      const customer = await createCustomer(t);
      expectValidationError(await t.http().post(rotatePath(customer, 'x')).set(customer.headers), [['path', 'instance_id'], 'uuid_parsing']);
    });

    it('refuses a request without credentials, or with the instance\u2019s own proxy key, with 401', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      expectUnauthorized(await t.http().post(rotatePath(customer, instance.id)));
      // Proxy keys never open /v1.
      expectUnauthorized(await t.http().post(rotatePath(customer, instance.id)).set(instance.headers));
      expect(await storedProxyKeyHash(instance.id)).toEqual(sha256(instance.proxyKey));
    });
  });

  describe('proxy keys', () => {
    it('never open a /v1 route: 401, in Authorization or in X-Api-Key', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      expectUnauthorized(await t.http().get(`/v1/customers/${customer.id}`).set(instance.headers));
      expectUnauthorized(await t.http().get(instancesPath(customer)).set('X-Api-Key', instance.proxyKey));
    });

    it('open nothing once the customer is deleted', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      await t.http().delete(`/v1/customers/${customer.id}`).set(asAdmin).expect(204);
      expect(await storedProxyKeyHash(instance.id)).toBeUndefined();
      expect(await proxyKeyAccepted(instance.id, instance.proxyKey)).toBe(false);
    });

    it('open only their own instance\u2019s path', async () => {
      const customer = await createCustomer(t);
      const one = await createInstance(t, customer, 'one');
      const two = await createInstance(t, customer, 'two');
      expect(await proxyKeyAccepted(two.id, one.proxyKey)).toBe(false);
      expect(await proxyKeyAccepted(one.id, one.proxyKey)).toBe(true);
    });

    it('are never stored in clear in any text or binary column', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      expect(await columnsHolding(t.db, instance.proxyKey)).toEqual([]);
      expect(await columnsHolding(t.db, instance.proxyKey.slice(4))).toEqual([]);
    });
  });
});
