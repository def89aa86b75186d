import { randomUUID } from 'node:crypto';
import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer } from '../support/factories';
import { asAdmin, TestApp } from '../support/test-app';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function issues(response: { status: number; body: { detail: { loc: unknown[]; type: string }[] } }) {
  expect(response.status).toBe(422);
  return response.body.detail.map((issue) => [issue.loc, issue.type]);
}

describe('Connections', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let other: TestCustomer;
  const path = (c: TestCustomer, suffix = '') => `/v1/customers/${c.id}/connections${suffix}`;

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
    other = await createCustomer(t);
  });
  afterAll(() => t.close());

  describe('POST /v1/customers/:customer_id/connections', () => {
    it('creates an active connection, never showing the credentials', async () => {
      const response = await t
        .http()
        .post(path(customer))
        .set(customer.headers)
        .send({
          provider: 'xero',
          name: 'IQM Master Roster',
          auth_type: 'api_key',
          credentials: { api_key: 'xero-secret-1', expires_at: '2030-01-02T03:04:05Z' },
          scopes: ['accounting.read'],
          metadata_json: { tenant: 'iqm' },
        })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        customer_id: customer.id,
        provider: 'xero',
        name: 'IQM Master Roster',
        auth_type: 'api_key',
        status: 'active',
        error_message: null,
        scopes: ['accounting.read'],
        metadata_json: { tenant: 'iqm' },
        expires_at: '2030-01-02T03:04:05.000Z',
        last_used_at: null,
        created_at: expect.stringMatching(TIMESTAMP),
        updated_at: expect.stringMatching(TIMESTAMP),
        grants: [],
      });
      expect(JSON.stringify(response.body)).not.toContain('xero-secret-1');
    });

    it('defaults auth_type to oauth2, scopes to [] and metadata_json to null', async () => {
      const response = await t.http().post(path(customer)).set(customer.headers).send({ provider: 'gmail', name: 'defaults', credentials: {} }).expect(201);
      expect(response.body).toMatchObject({ auth_type: 'oauth2', scopes: [], metadata_json: null, expires_at: null });
    });

    it('derives expires_at from credentials.expires_in (seconds from now) and from epoch seconds', async () => {
      const before = Date.now();
      const byIn = await t.http().post(path(customer)).set(customer.headers).send({ provider: 'gmail', name: 'expires-in', credentials: { expires_in: 3600 } }).expect(201);
      const expiresAt = Date.parse(byIn.body.expires_at);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 3_600_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
      const byEpoch = await t.http().post(path(customer)).set(customer.headers).send({ provider: 'gmail', name: 'epoch', credentials: { expires_at: 1893456000 } }).expect(201);
      expect(byEpoch.body.expires_at).toBe('2030-01-01T00:00:00.000Z');
    });

    it('answers a second connection of the same provider and name with 409, and keeps the first', async () => {
      await t.http().post(path(customer)).set(customer.headers).send({ provider: 'deputy', name: 'dup', credentials: { v: 1 } }).expect(201);
      const second = await t.http().post(path(customer)).set(customer.headers).send({ provider: 'deputy', name: 'dup', credentials: { v: 2 } });
      expect(second.status).toBe(409);
      expect(second.body).toEqual({ detail: expect.stringContaining('already exists') });
      const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM connections WHERE customer_id = $1 AND provider = 'deputy' AND name = 'dup'`, [customer.id]);
      expect(count).toBe(1);
    });

    it('lets another customer use the same provider and name', async () => {
      await t.http().post(path(customer)).set(customer.headers).send({ provider: 'deputy', name: 'shared-name', credentials: {} }).expect(201);
      await t.http().post(path(other)).set(other.headers).send({ provider: 'deputy', name: 'shared-name', credentials: {} }).expect(201);
    });

    it('ends six concurrent creates of the same connection in one 201 and five 409s', async () => {
      const body = { provider: 'google_calendar', name: `race-${randomUUID()}`, credentials: { token: 'x' } };
      const results = await Promise.all(Array.from({ length: 6 }, () => t.http().post(path(customer)).set(customer.headers).send(body)));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    });

    it.each([
      ['provider missing', { name: 'n', credentials: {} }, [[['body', 'provider'], 'missing']]],
      ['provider empty', { provider: '', name: 'n', credentials: {} }, [[['body', 'provider'], 'string_too_short']]],
      ['provider over 50 chars', { provider: 'p'.repeat(51), name: 'n', credentials: {} }, [[['body', 'provider'], 'string_too_long']]],
      ['provider a number', { provider: 5, name: 'n', credentials: {} }, [[['body', 'provider'], 'string_type']]],
      ['name over 255 chars', { provider: 'p', name: 'n'.repeat(256), credentials: {} }, [[['body', 'name'], 'string_too_long']]],
      ['auth_type outside the enum', { provider: 'p', name: 'n', auth_type: 'password', credentials: {} }, [[['body', 'auth_type'], 'enum']]],
      ['credentials missing', { provider: 'p', name: 'n' }, [[['body', 'credentials'], 'missing']]],
      ['credentials an array', { provider: 'p', name: 'n', credentials: ['a'] }, [[['body', 'credentials'], 'dict_type']]],
      ['credentials a string', { provider: 'p', name: 'n', credentials: 'token' }, [[['body', 'credentials'], 'dict_type']]],
      ['credentials over 64 KiB', { provider: 'p', name: 'n', credentials: { blob: 'x'.repeat(64 * 1024) } }, [[['body', 'credentials'], 'too_long']]],
      ['scopes not an array', { provider: 'p', name: 'n', credentials: {}, scopes: 'email' }, [[['body', 'scopes'], 'list_type']]],
      ['scopes holding a number', { provider: 'p', name: 'n', credentials: {}, scopes: ['a', 1] }, [[['body', 'scopes'], 'string_type']]],
      ['metadata_json an array', { provider: 'p', name: 'n', credentials: {}, metadata_json: [1] }, [[['body', 'metadata_json'], 'dict_type']]],
      ['metadata_json over 16 KiB', { provider: 'p', name: 'n', credentials: {}, metadata_json: { blob: 'x'.repeat(16 * 1024) } }, [[['body', 'metadata_json'], 'too_long']]],
      ['an unknown field', { provider: 'p', name: 'n', credentials: {}, status: 'error' }, [[['body', 'status'], 'extra_forbidden']]],
      ['a NUL inside credentials', { provider: 'p', name: 'n', credentials: { token: 'a\u0000b' } }, [[['body', 'credentials', 'token'], 'string_nul']]],
    ])('rejects %s with 422 at the field', async (_case, body, expected) => {
      const response = await t.http().post(path(customer)).set(customer.headers).send(body);
      expect(issues(response)).toEqual(expected);
    });

    it('names every missing field of a request with no body', async () => {
      const response = await t.http().post(path(customer)).set(customer.headers);
      expect(issues(response)).toEqual([
        [['body', 'provider'], 'missing'],
        [['body', 'name'], 'missing'],
        [['body', 'credentials'], 'missing'],
      ]);
    });

    it('rejects __proto__ and constructor keys with 422, storing nothing', async () => {
      const response = await t
        .http()
        .post(path(customer))
        .set(customer.headers)
        .set('Content-Type', 'application/json')
        .send('{"provider":"proto","name":"n","credentials":{},"__proto__":{"admin":true},"constructor":{"x":1}}');
      expect(issues(response)).toEqual([
        [['body', '__proto__'], 'extra_forbidden'],
        [['body', 'constructor'], 'extra_forbidden'],
      ]);
      const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM connections WHERE provider = 'proto'`);
      expect(count).toBe(0);
    });

    it('answers 404 for a customer that does not exist (admin)', async () => {
      const response = await t.http().post(`/v1/customers/${UNKNOWN_ID}/connections`).set(asAdmin).send({ provider: 'p', name: 'n', credentials: {} });
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ detail: 'Customer not found' });
    });

    it('answers 403 to another customer and 401 without credentials', async () => {
      const body = { provider: 'p', name: 'n', credentials: {} };
      expect((await t.http().post(path(customer)).set(other.headers).send(body)).status).toBe(403);
      const anonymous = await t.http().post(path(customer)).send(body);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    });
  });

  describe('GET /v1/customers/:customer_id/connections', () => {
    let lister: TestCustomer;
    beforeAll(async () => {
      lister = await createCustomer(t);
      for (let i = 0; i < 5; i++) {
        await createConnection(t, lister, { provider: i % 2 === 0 ? 'gmail' : 'xero', name: `c${i}` });
      }
    });

    it('embeds each connection\u2019s grants (paging and access: list-routes.e2e-spec.ts)', async () => {
      const instance = await createInstance(t, lister);
      const all = await t.http().get(path(lister)).set(lister.headers).expect(200);
      expect(all.body.total).toBe(5);
      expect(all.body.connections.map((c: { name: string }) => c.name)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
      await grantConnection(t, lister, all.body.connections[1], instance, ['read']);
      const again = await t.http().get(path(lister)).set(lister.headers).expect(200);
      expect(again.body.connections[1].grants).toEqual([
        { id: expect.any(String), connection_id: all.body.connections[1].id, instance_id: instance.id, capabilities: ['read'], granted_at: expect.stringMatching(TIMESTAMP) },
      ]);
      expect(again.body.connections[0].grants).toEqual([]);
      expect(JSON.stringify(again.body)).not.toMatch(/credentials|ciphertext|wrapped/);
    });

    it('shows a connection alike in the list, by id and when created, as JSON with timestamps to the millisecond', async () => {
      const shown = await createCustomer(t);
      const metadata_json = { nested: { list: [1, 2.5, 'three', null, true], quote: 'say "hi"\n\u00e9\u2028' }, empty: {} };
      const created = await t
        .http()
        .post(path(shown))
        .set(shown.headers)
        .send({ provider: 'gmail', name: 'shown "alike"', scopes: ['a', 'b'], metadata_json, credentials: { expires_in: 60 } })
        .expect(201);
      await grantConnection(t, shown, created.body, await createInstance(t, shown), ['send_mail', 'read']);
      const byId = await t.http().get(path(shown, `/${created.body.id}`)).set(shown.headers).expect(200);
      const list = await t.http().get(path(shown)).set(shown.headers).expect(200);

      for (const response of [created, byId, list]) expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(list.body).toEqual({ connections: [byId.body], total: 1 });
      expect(list.text).toMatch(/^\{"connections":\[\{"id":"[0-9a-f-]{36}","customer_id":/);
      expect(list.text).not.toContain('\n');
      expect({ ...byId.body, grants: [] }).toEqual(created.body);
      expect(byId.body.metadata_json).toEqual(metadata_json);
      expect(byId.body.grants).toEqual([expect.objectContaining({ capabilities: ['send_mail', 'read'] })]);
      const [row] = await t.db.query(
        `SELECT to_json(date_trunc('milliseconds', created_at)) #>> '{}' AS created_at, to_json(date_trunc('milliseconds', expires_at)) #>> '{}' AS expires_at FROM connections WHERE id = $1`,
        [created.body.id],
      );
      expect(Date.parse(byId.body.created_at)).toBe(Date.parse(row.created_at));
      expect(Date.parse(byId.body.expires_at)).toBe(Date.parse(row.expires_at));
    });

    it('filters by provider and status, and pages with limit and offset', async () => {
      const gmail = await t.http().get(path(lister, '?provider=gmail')).set(lister.headers).expect(200);
      expect(gmail.body.total).toBe(3);
      expect(gmail.body.connections.every((c: { provider: string }) => c.provider === 'gmail')).toBe(true);
      const page = await t.http().get(path(lister, '?limit=2&offset=1')).set(lister.headers).expect(200);
      expect(page.body.total).toBe(5);
      expect(page.body.connections.map((c: { name: string }) => c.name)).toEqual(['c1', 'c2']);
      const none = await t.http().get(path(lister, '?status=error')).set(lister.headers).expect(200);
      expect(none.body).toEqual({ connections: [], total: 0 });
    });

    it('keeps the unfiltered total exact through concurrent creates and deletes', async () => {
      const counted = await createCustomer(t);
      const created = await Promise.all(Array.from({ length: 8 }, (_, i) => createConnection(t, counted, { name: `n${i}` })));
      await t.http().delete(path(counted, `/${created[0].id}`)).set(counted.headers).expect(204);
      await t.http().delete(path(counted, `/${created[1].id}`)).set(counted.headers).expect(204);
      const list = await t.http().get(path(counted)).set(counted.headers).expect(200);
      expect([list.body.total, list.body.connections.length]).toEqual([6, 6]);
      const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM connections WHERE customer_id = $1', [counted.id]);
      expect(count).toBe(6);
    });
  });

  describe('GET, PATCH, DELETE /v1/customers/:customer_id/connections/:connection_id', () => {
    it('gets one connection', async () => {
      const connection = await createConnection(t, customer, { name: 'get-me' });
      const response = await t.http().get(path(customer, `/${connection.id}`)).set(customer.headers).expect(200);
      expect(response.body).toMatchObject({ id: connection.id, name: 'get-me', grants: [] });
    });

    it('answers 404, never 403, for another customer’s connection id on its own path', async () => {
      const connection = await createConnection(t, customer);
      for (const method of ['get', 'patch', 'delete'] as const) {
        const response = await t.http()[method](path(other, `/${connection.id}`)).set(other.headers).send(method === 'patch' ? { name: 'stolen' } : undefined);
        expect([method, response.status, response.body]).toEqual([method, 404, { detail: 'Connection not found' }]);
      }
      const [{ name }] = await t.db.query('SELECT name FROM connections WHERE id = $1', [connection.id]);
      expect(name).toBe(connection.name);
    });

    it('patches name, scopes and metadata_json, leaving the credentials sealed as they were', async () => {
      const connection = await createConnection(t, customer, { metadata_json: { a: 1 } });
      const [before] = await t.db.query('SELECT credentials_ciphertext FROM connections WHERE id = $1', [connection.id]);
      const response = await t.http().patch(path(customer, `/${connection.id}`)).set(customer.headers).send({ name: 'renamed', scopes: ['s1'], metadata_json: null }).expect(200);
      expect(response.body).toMatchObject({ name: 'renamed', scopes: ['s1'], metadata_json: null });
      expect(Date.parse(response.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(response.body.created_at));
      const [after] = await t.db.query('SELECT credentials_ciphertext FROM connections WHERE id = $1', [connection.id]);
      expect(after.credentials_ciphertext.equals(before.credentials_ciphertext)).toBe(true);
    });

    it('re-seals new credentials, and sets status back to active with error_message cleared', async () => {
      const instance = await createInstance(t, customer);
      const connection = await createConnection(t, customer, { provider: 'reseal', credentials: { token: 'old-token' } });
      await grantConnection(t, customer, connection, instance);
      await t.db.query(`UPDATE connections SET status = 'error', error_message = 'refresh failed' WHERE id = $1`, [connection.id]);
      const response = await t.http().patch(path(customer, `/${connection.id}`)).set(customer.headers).send({ credentials: { token: 'new-token', expires_in: 60 } }).expect(200);
      expect(response.body).toMatchObject({ status: 'active', error_message: null, expires_at: expect.stringMatching(TIMESTAMP) });
      const fetched = await t.http().get(`/internal/v1/instances/${instance.id}/connections?provider=reseal`).set(instance.headers).expect(200);
      expect(fetched.body.credentials).toEqual({ token: 'new-token', expires_in: 60 });
    });

    it('answers a rename onto an existing name with 409', async () => {
      await createConnection(t, customer, { provider: 'clash', name: 'taken' });
      const connection = await createConnection(t, customer, { provider: 'clash', name: 'free' });
      const response = await t.http().patch(path(customer, `/${connection.id}`)).set(customer.headers).send({ name: 'taken' });
      expect(response.status).toBe(409);
    });

    it.each([
      ['provider (not patchable)', { provider: 'other' }, [[['body', 'provider'], 'extra_forbidden']]],
      ['name null', { name: null }, [[['body', 'name'], 'string_type']]],
      ['credentials null', { credentials: null }, [[['body', 'credentials'], 'dict_type']]],
      ['scopes a string', { scopes: 'a' }, [[['body', 'scopes'], 'list_type']]],
    ])('rejects a PATCH with %s with 422, changing nothing', async (_case, body, expected) => {
      const connection = await createConnection(t, customer, { name: `patch-${randomUUID()}` });
      const response = await t.http().patch(path(customer, `/${connection.id}`)).set(customer.headers).send(body);
      expect(issues(response)).toEqual(expected);
      const [row] = await t.db.query('SELECT name, provider FROM connections WHERE id = $1', [connection.id]);
      expect(row).toEqual({ name: connection.name, provider: 'gmail' });
    });

    it('deletes a connection and its grants', async () => {
      const instance = await createInstance(t, customer);
      const connection = await createConnection(t, customer);
      await grantConnection(t, customer, connection, instance);
      await t.http().delete(path(customer, `/${connection.id}`)).set(customer.headers).expect(204);
      const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM grants WHERE connection_id = $1', [connection.id]);
      expect(count).toBe(0);
      expect((await t.http().get(path(customer, `/${connection.id}`)).set(customer.headers)).status).toBe(404);
      expect((await t.http().delete(path(customer, `/${connection.id}`)).set(customer.headers)).status).toBe(404);
    });

    it('answers 422 at path.connection_id for a malformed id and 401 without credentials', async () => {
      const malformed = await t.http().get(path(customer, '/123')).set(customer.headers);
      expect(issues(malformed)).toEqual([[['path', 'connection_id'], 'uuid_parsing']]);
      expect((await t.http().get(path(customer, `/${UNKNOWN_ID}`))).status).toBe(401);
    });
  });
});
