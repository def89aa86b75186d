import { createHash } from 'node:crypto';
import { createConnection, createCustomer, createInstance, grantConnection, type TestConnection, type TestCustomer, type TestInstance } from '../support/factories';
import { expectErrorDetail, expectUnauthorized, expectValidationError, signJwt, UNKNOWN_ID } from '../support/expectations';
import { asAdmin, TEST_ADMIN_KEY, TestApp } from '../support/test-app';

const fetchPath = (instance: { id: string }, query: string) => `/internal/v1/instances/${instance.id}/connections?${query}`;
const eventsPath = (customer: { id: string }, query = '') => `/v1/customers/${customer.id}/audit-events${query}`;

/** An event as the API shows it, with every field. */
function event(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    id: expect.any(String),
    customer_id: expect.any(String),
    occurred_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    outcome: 'success',
    connection_id: null,
    instance_id: null,
    grant_id: null,
    provider: null,
    capability: null,
    request_id: expect.any(String),
    ...fields,
  };
}

describe('Audit events', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  async function eventsOf(customer: { id: string }, query = ''): Promise<Record<string, unknown>[]> {
    const response = await t.http().get(eventsPath(customer, query)).set(asAdmin).expect(200);
    return response.body.audit_events;
  }

  async function apiKeyIdOf(customer: TestCustomer): Promise<string> {
    const response = await t.http().get(`/v1/customers/${customer.id}/api-keys`).set(customer.headers).expect(200);
    return response.body.api_keys[0].id;
  }

  describe('changes', () => {
    it('records each change exactly once, in its order, with its actor, status and the things it names', async () => {
      const customer = await createCustomer(t);
      const keyId = await apiKeyIdOf(customer);
      const instance = await createInstance(t, customer);
      const connection = await createConnection(t, customer, { provider: 'gmail' });
      await t.http().patch(`/v1/customers/${customer.id}/connections/${connection.id}`).set(customer.headers).set('X-Request-Id', 'audit-patch-1').send({ name: 'renamed' }).expect(200);
      const grant = await grantConnection(t, customer, connection, instance, ['send_mail']);
      await t.http().post(`/v1/customers/${customer.id}/instances/${instance.id}/proxy-key`).set(customer.headers).expect(201);
      await t.http().delete(`/v1/customers/${customer.id}/connections/${connection.id}/grants/${grant.id}`).set(customer.headers).expect(204);
      const second = await t.http().post(`/v1/customers/${customer.id}/api-keys`).set(customer.headers).send({ name: 'second' }).expect(201);
      await t.http().delete(`/v1/customers/${customer.id}/api-keys/${second.body.id}`).set(customer.headers).expect(204);
      await t.http().delete(`/v1/customers/${customer.id}/connections/${connection.id}`).set(customer.headers).expect(204);
      await t.http().delete(`/v1/customers/${customer.id}/instances/${instance.id}`).set(customer.headers).expect(204);
      await t.http().delete(`/v1/customers/${customer.id}`).set(asAdmin).expect(204);

      const admin = { kind: 'admin', id: null };
      const byKey = { kind: 'customer', id: keyId };
      const c = customer.id;
      expect(await eventsOf(customer)).toEqual([
        event({ action: 'customer.create', customer_id: c, status: 201, actor: admin }),
        event({ action: 'api_key.create', customer_id: c, status: 201, actor: admin }),
        event({ action: 'instance.create', customer_id: c, status: 201, actor: byKey, instance_id: instance.id }),
        event({ action: 'connection.create', customer_id: c, status: 201, actor: byKey, connection_id: connection.id, provider: 'gmail' }),
        event({ action: 'connection.update', customer_id: c, status: 200, actor: byKey, connection_id: connection.id, provider: 'gmail', request_id: 'audit-patch-1' }),
        event({ action: 'grant.create', customer_id: c, status: 201, actor: byKey, connection_id: connection.id, instance_id: instance.id, grant_id: grant.id }),
        event({ action: 'instance.rotate_key', customer_id: c, status: 201, actor: byKey, instance_id: instance.id }),
        event({ action: 'grant.delete', customer_id: c, status: 204, actor: byKey, connection_id: connection.id, instance_id: instance.id, grant_id: grant.id }),
        event({ action: 'api_key.create', customer_id: c, status: 201, actor: byKey }),
        event({ action: 'api_key.delete', customer_id: c, status: 204, actor: byKey }),
        event({ action: 'connection.delete', customer_id: c, status: 204, actor: byKey, connection_id: connection.id, provider: 'gmail' }),
        event({ action: 'instance.delete', customer_id: c, status: 204, actor: byKey, instance_id: instance.id }),
        event({ action: 'customer.delete', customer_id: c, status: 204, actor: admin }),
      ]);
    });

    it('names a JWT\u2019s subject as the actor, and records no event for a change that failed', async () => {
      const customer = await createCustomer(t);
      const token = await signJwt({ customer_id: customer.id, sub: 'user-42' });
      await t.http().post(`/v1/customers/${customer.id}/instances`).set('Authorization', `Bearer ${token}`).send({ name: 'jwt-made' }).expect(201);
      await t.http().delete(`/v1/customers/${customer.id}/instances/${UNKNOWN_ID}`).set(customer.headers).expect(404);
      const events = await eventsOf(customer, '?action=instance.create');
      expect(events.map((e) => e.actor)).toEqual([{ kind: 'customer', id: 'user-42' }]);
      expect(await eventsOf(customer, '?action=instance.delete')).toEqual([]);
    });
  });

  describe('credentials.read', () => {
    let customer: TestCustomer;
    let instance: TestInstance;
    let other: TestInstance;
    let connection: TestConnection;
    beforeAll(async () => {
      customer = await createCustomer(t);
      instance = await createInstance(t, customer);
      other = await createInstance(t, customer, 'other');
      connection = await createConnection(t, customer, { provider: 'gmail', credentials: { access_token: 'read-token-5c1e' } });
      await grantConnection(t, customer, connection, instance, ['send_mail']);
      for (const name of ['a', 'b']) await grantConnection(t, customer, await createConnection(t, customer, { provider: 'slack', name }), instance);
    });

    async function lastRead(): Promise<Record<string, unknown>> {
      const events = await eventsOf(customer, '?action=credentials.read&limit=1000');
      return events[events.length - 1];
    }

    const read = (fields: Record<string, unknown>) => event({ action: 'credentials.read', customer_id: customer.id, actor: { kind: 'instance', id: instance.id }, instance_id: instance.id, ...fields });

    it('records a served fetch as success 200, committed before the answer', async () => {
      await t.http().get(fetchPath(instance, 'provider=gmail&capability=send_mail')).set(instance.headers).set('X-Request-Id', 'read-ok-1').expect(200);
      expect(await lastRead()).toEqual(read({ status: 200, connection_id: connection.id, provider: 'gmail', capability: 'send_mail', request_id: 'read-ok-1' }));
    });

    it('records 404, 403, 409 and 422 as denied, with their status', async () => {
      await t.http().get(fetchPath(instance, 'provider=nothing')).set(instance.headers).expect(404);
      expect(await lastRead()).toEqual(read({ outcome: 'denied', status: 404, provider: 'nothing' }));
      await t.http().get(fetchPath(instance, 'provider=gmail&capability=delete_all')).set(instance.headers).expect(403);
      expect(await lastRead()).toEqual(read({ outcome: 'denied', status: 403, provider: 'gmail', capability: 'delete_all', connection_id: connection.id }));
      await t.http().get(fetchPath(instance, 'provider=slack')).set(instance.headers).expect(409);
      expect(await lastRead()).toEqual(read({ outcome: 'denied', status: 409, provider: 'slack' }));
      await t.http().get(fetchPath(instance, 'name=x')).set(instance.headers).expect(422);
      expect(await lastRead()).toEqual(read({ outcome: 'denied', status: 422 }));
    });

    it('records a valid proxy key used on another instance\u2019s path as denied 401, naming the key\u2019s instance', async () => {
      expectUnauthorized(await t.http().get(fetchPath(other, 'provider=gmail')).set(instance.headers));
      expect(await lastRead()).toEqual(read({ outcome: 'denied', status: 401, provider: 'gmail' }));
    });

    it('records nothing for a key that matches nobody', async () => {
      const [{ count: before }] = await t.db.query('SELECT count(*)::int AS count FROM audit_events');
      expectUnauthorized(await t.http().get(fetchPath(instance, 'provider=gmail')).set('Authorization', `Bearer hcp_${'A'.repeat(43)}`));
      const [{ count: after }] = await t.db.query('SELECT count(*)::int AS count FROM audit_events');
      expect(after).toBe(before);
    });

    it('records a fetch that failed on the server as error with its status', async () => {
      const broken = await createConnection(t, customer, { provider: 'broken' });
      await grantConnection(t, customer, broken, instance);
      await t.db.query(`UPDATE connections SET credentials_ciphertext = set_byte(credentials_ciphertext, 0, get_byte(credentials_ciphertext, 0) # 1) WHERE id = $1`, [broken.id]);
      await t.http().get(fetchPath(instance, 'provider=broken')).set(instance.headers).expect(500);
      expect(await lastRead()).toEqual(read({ outcome: 'error', status: 500, provider: 'broken', connection_id: broken.id }));
    });

    it('records one event for each of many concurrent fetches (group commit)', async () => {
      const [{ count: before }] = await t.db.query(`SELECT count(*)::int AS count FROM audit_events WHERE customer_id = $1 AND action = 'credentials.read'`, [customer.id]);
      const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => t.http().get(fetchPath(instance, 'provider=gmail')).set(instance.headers).set('X-Request-Id', `burst-${i}`).then((r) => r.status)));
      expect(statuses).toEqual(Array(40).fill(200));
      const rows: { request_id: string }[] = await t.db.query(`SELECT request_id FROM audit_events WHERE customer_id = $1 AND action = 'credentials.read' AND request_id LIKE 'burst-%'`, [customer.id]);
      expect(rows.map((row) => row.request_id).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `burst-${i}`).sort());
      const [{ count: after }] = await t.db.query(`SELECT count(*)::int AS count FROM audit_events WHERE customer_id = $1 AND action = 'credentials.read'`, [customer.id]);
      expect(after - before).toBe(40);
    });

    it('answers 503 with no credential when the event cannot be written, and serves again once it can', async () => {
      await t.db.query(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$`);
      await t.db.query(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()`);
      try {
        const refused = await t.http().get(fetchPath(instance, 'provider=gmail')).set(instance.headers);
        expectErrorDetail(refused, 503);
        expect(refused.text).not.toContain('read-token-5c1e');
        expect(Object.keys(refused.body)).toEqual(['detail']);
      } finally {
        await t.db.query('DROP TRIGGER refuse_audit ON audit_events');
        await t.db.query('DROP FUNCTION refuse_audit()');
      }
      const served = await t.http().get(fetchPath(instance, 'provider=gmail')).set(instance.headers).expect(200);
      expect(served.body.credentials).toEqual({ access_token: 'read-token-5c1e' });
    });
  });

  describe('GET /v1/customers/:customer_id/audit-events', () => {
    let customer: TestCustomer;
    let instance: TestInstance;
    let connection: TestConnection;
    beforeAll(async () => {
      customer = await createCustomer(t);
      instance = await createInstance(t, customer);
      connection = await createConnection(t, customer, { provider: 'gmail' });
      await grantConnection(t, customer, connection, instance);
      for (let i = 0; i < 3; i++) await t.http().get(fetchPath(instance, 'provider=gmail')).set(instance.headers).expect(200);
      await t.http().get(fetchPath(instance, 'provider=none')).set(instance.headers).expect(404);
    });

    it('lets the customer read its own events, oldest first, with the paging rules', async () => {
      const all = await t.http().get(eventsPath(customer)).set(customer.headers).expect(200);
      expect(all.body.total).toBe(9);
      const times = all.body.audit_events.map((e: { occurred_at: string }) => e.occurred_at);
      expect([...times].sort()).toEqual(times);
      const page = await t.http().get(eventsPath(customer, '?limit=2&offset=3')).set(customer.headers).expect(200);
      expect(page.body).toEqual({ audit_events: all.body.audit_events.slice(3, 5), total: 9 });
    });

    it('filters by action, outcome, connection, instance and time', async () => {
      const reads = await eventsOf(customer, '?action=credentials.read');
      expect(reads).toHaveLength(4);
      expect(await eventsOf(customer, '?action=credentials.read&outcome=denied')).toEqual([reads[3]]);
      expect((await eventsOf(customer, `?connection_id=${connection.id}`)).map((e) => e.action)).toEqual(['connection.create', 'grant.create', 'credentials.read', 'credentials.read', 'credentials.read']);
      expect(await eventsOf(customer, `?instance_id=${instance.id}&outcome=success&action=credentials.read`)).toEqual(reads.slice(0, 3));
      const since = reads[1].occurred_at as string;
      const until = reads[3].occurred_at as string;
      const window = await eventsOf(customer, `?action=credentials.read&since=${since}&until=${until}`);
      expect(window.every((e) => (e.occurred_at as string) >= since && (e.occurred_at as string) < until)).toBe(true);
      expect(window).toContainEqual(reads[1]);
    });

    it('refuses bad filters with 422 at their parameter', async () => {
      expectValidationError(await t.http().get(eventsPath(customer, '?action=credentials.write')).set(customer.headers), [['query', 'action'], expect.any(String)]);
      expectValidationError(await t.http().get(eventsPath(customer, '?since=yesterday')).set(customer.headers), [['query', 'since'], expect.any(String)]);
      expectValidationError(await t.http().get(eventsPath(customer, '?connection_id=nope')).set(customer.headers), [['query', 'connection_id'], expect.any(String)]);
      expectValidationError(await t.http().get(eventsPath(customer, '?limit=0')).set(customer.headers), [['query', 'limit'], expect.any(String)]);
    });

    it('is 401 without credentials, 403 for another customer, 404 for a customer that never existed', async () => {
      const stranger = await createCustomer(t);
      expectUnauthorized(await t.http().get(eventsPath(customer)));
      expectErrorDetail(await t.http().get(eventsPath(customer)).set(stranger.headers), 403);
      expectErrorDetail(await t.http().get(eventsPath(customer, '/export')).set(stranger.headers), 403);
      expectErrorDetail(await t.http().get(eventsPath({ id: UNKNOWN_ID })).set(asAdmin), 404, 'Customer not found');
      expectErrorDetail(await t.http().get(eventsPath({ id: UNKNOWN_ID }, '/export')).set(asAdmin), 404, 'Customer not found');
    });

    it('keeps a deleted customer\u2019s events readable by the admin', async () => {
      const gone = await createCustomer(t);
      await createInstance(t, gone);
      await t.http().delete(`/v1/customers/${gone.id}`).set(asAdmin).expect(204);
      expect((await eventsOf(gone)).map((e) => e.action)).toEqual(['customer.create', 'api_key.create', 'instance.create', 'customer.delete']);
      expect(await eventsOf(gone, '?action=connection.create')).toEqual([]);
      const exported = await t.http().get(eventsPath(gone, '/export')).set(asAdmin).expect(200);
      expect(exported.text.trim().split('\n')).toHaveLength(4);
    });
  });

  describe('GET /v1/customers/:customer_id/audit-events/export', () => {
    it('streams exactly the filtered events as NDJSON, in the list\u2019s order and shape', async () => {
      const customer = await createCustomer(t);
      const instance = await createInstance(t, customer);
      await grantConnection(t, customer, await createConnection(t, customer, { provider: 'gmail' }), instance);
      const fetches = Array.from({ length: 600 }, (_, i) => t.http().get(fetchPath(instance, i % 3 === 0 ? 'provider=none' : 'provider=gmail')).set(instance.headers));
      await Promise.all(fetches);

      const exported = await t.http().get(eventsPath(customer, '/export?action=credentials.read')).set(customer.headers).expect(200);
      expect(exported.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = exported.text.split('\n');
      expect(lines.pop()).toBe('');
      const listed = [
        ...(await eventsOf(customer, '?action=credentials.read&limit=1000')),
      ];
      expect(lines.map((line) => JSON.parse(line))).toEqual(listed);
      expect(listed).toHaveLength(600);

      const all = await t.http().get(eventsPath(customer, '/export')).set(customer.headers).expect(200);
      expect(all.text.trim().split('\n')).toHaveLength(600 + 5);
      const since = listed[100].occurred_at as string;
      const until = listed[500].occurred_at as string;
      const window = await t.http().get(eventsPath(customer, `/export?since=${since}&until=${until}`)).set(customer.headers).expect(200);
      const expected = listed.filter((e) => (e.occurred_at as string) >= since && (e.occurred_at as string) < until);
      expect(window.text.trim().split('\n').map((line) => JSON.parse(line))).toEqual(expected);
    });
  });

  it('holds no secret, key or key hash in any audit table', async () => {
    const customer = await createCustomer(t);
    const instance = await createInstance(t, customer);
    const rotated = await t.http().post(`/v1/customers/${customer.id}/instances/${instance.id}/proxy-key`).set(customer.headers).expect(201);
    const extra = await t.http().post(`/v1/customers/${customer.id}/api-keys`).set(customer.headers).send({ name: 'scan' }).expect(201);
    const connection = await createConnection(t, customer, { provider: 'gmail', credentials: { access_token: 'scan-token-77aa', refresh_token: 'scan-refresh-99bb' } });
    await grantConnection(t, customer, connection, instance);
    await t.http().get(fetchPath(instance, 'provider=gmail')).set('Authorization', `Bearer ${rotated.body.proxy_key}`).expect(200);
    await t.http().get(fetchPath(instance, 'provider=gmail')).set(instance.headers).expect(401);

    const secrets = ['scan-token-77aa', 'scan-refresh-99bb', customer.apiKey, extra.body.key, instance.proxyKey, rotated.body.proxy_key, TEST_ADMIN_KEY];
    const hashes = secrets.map((secret) => createHash('sha256').update(secret).digest('hex'));
    const [{ text }] = await t.db.query(
      `SELECT (SELECT string_agg(e::text, '\n') FROM audit_events e) || (SELECT coalesce(string_agg(s::text, '\n'), '') FROM audit_seals s) || (SELECT string_agg(c::text, '\n') FROM audit_chain c) AS text`,
    );
    expect(text).toContain(customer.id);
    for (const needle of [...secrets, ...hashes]) expect([needle, text.includes(needle)]).toEqual([needle, false]);
  });
});
