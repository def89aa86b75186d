import { SignJWT } from 'jose';
import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer, type TestInstance } from '../support/factories';
import { asAdmin, TEST_JWT_SECRET, TestApp } from '../support/test-app';

describe('GET /internal/v1/instances/:instance_id/connections', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let instance: TestInstance;
  const fetchPath = (i: { id: string }, query = 'provider=gmail') => `/internal/v1/instances/${i.id}/connections?${query}`;

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
    instance = await createInstance(t, customer);
    const gmail = await createConnection(t, customer, {
      provider: 'gmail',
      name: 'admin@iqm.com.au',
      credentials: { access_token: 'gmail-secret-token', refresh_token: 'gmail-refresh' },
    });
    await grantConnection(t, customer, gmail, instance, ['send_mail']);
  });
  afterAll(() => t.close());

  describe('who may fetch', () => {
    it('returns the decrypted credentials and the grant’s capabilities to the instance’s proxy key', async () => {
      const response = await t.http().get(fetchPath(instance, 'provider=gmail&capability=send_mail')).set(instance.headers).expect(200);
      expect(response.body).toEqual({
        credentials: { access_token: 'gmail-secret-token', refresh_token: 'gmail-refresh' },
        capabilities: ['send_mail'],
        connection_id: expect.any(String),
        provider: 'gmail',
        name: 'admin@iqm.com.au',
        auth_type: 'oauth2',
        status: 'active',
        expires_at: null,
      });
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it.each([
      ['no credentials', {}],
      ['a malformed Authorization header', { Authorization: 'Token abc' }],
      ['an unknown proxy key', { Authorization: `Bearer hcp_${'A'.repeat(43)}` }],
      ['the admin key', { Authorization: `Bearer ${asAdmin['X-Api-Key']}` }],
    ])('answers 401 to %s', async (_case, headers) => {
      const response = await t.http().get(fetchPath(instance)).set(headers);
      expect([response.status, response.headers['www-authenticate']]).toEqual([401, 'Bearer']);
      expect(response.body).toEqual({ detail: expect.any(String) });
    });

    it('answers 401 to a customer API key, as Bearer and as X-Api-Key', async () => {
      expect((await t.http().get(fetchPath(instance)).set({ Authorization: `Bearer ${customer.apiKey}` })).status).toBe(401);
      expect((await t.http().get(fetchPath(instance)).set(customer.headers)).status).toBe(401);
    });

    it('answers 401 to a valid customer JWT', async () => {
      const jwt = await new SignJWT({ customer_id: customer.id }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(TEST_JWT_SECRET));
      expect((await t.http().get(fetchPath(instance)).set({ Authorization: `Bearer ${jwt}` })).status).toBe(401);
    });

    it('answers 401 to another instance’s proxy key, even of the same customer', async () => {
      const sibling = await createInstance(t, customer, 'sibling');
      expect((await t.http().get(fetchPath(instance)).set(sibling.headers)).status).toBe(401);
    });

    it('never lets a proxy key open /v1', async () => {
      expect((await t.http().get(`/v1/customers/${customer.id}/connections`).set(instance.headers)).status).toBe(401);
      expect((await t.http().get(`/v1/customers/${customer.id}/connections`).set({ 'X-Api-Key': instance.proxyKey })).status).toBe(401);
    });

    it('refuses the old proxy key from the request after a rotation, and takes the new one', async () => {
      const rotating = await createInstance(t, customer, 'rotating');
      const connection = await createConnection(t, customer, { provider: 'rotation' });
      await grantConnection(t, customer, connection, rotating);
      await t.http().get(fetchPath(rotating, 'provider=rotation')).set(rotating.headers).expect(200);
      const rotated = await t.http().post(`/v1/customers/${customer.id}/instances/${rotating.id}/proxy-key`).set(customer.headers).expect(201);
      expect((await t.http().get(fetchPath(rotating, 'provider=rotation')).set(rotating.headers)).status).toBe(401);
      await t.http().get(fetchPath(rotating, 'provider=rotation')).set({ Authorization: `Bearer ${rotated.body.proxy_key}` }).expect(200);
    });
  });

  describe('which connection', () => {
    it('answers 403 when the grant lacks the asked capability, and says which', async () => {
      const response = await t.http().get(fetchPath(instance, 'provider=gmail&capability=delete_mail')).set(instance.headers);
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ detail: expect.stringContaining('delete_mail') });
      expect(JSON.stringify(response.body)).not.toContain('gmail-secret-token');
    });

    it('answers 404 for a provider that is not granted, though the customer has it', async () => {
      await createConnection(t, customer, { provider: 'xero', name: 'ungranted' });
      const response = await t.http().get(fetchPath(instance, 'provider=xero')).set(instance.headers);
      expect([response.status, response.body]).toEqual([404, { detail: expect.any(String) }]);
    });

    it('answers 409 asking for name when several granted connections share the provider, and picks by name', async () => {
      const multi = await createInstance(t, customer, 'multi');
      const first = await createConnection(t, customer, { provider: 'deputy', name: 'roster-a', credentials: { k: 'a' } });
      const second = await createConnection(t, customer, { provider: 'deputy', name: 'roster-b', credentials: { k: 'b' } });
      await grantConnection(t, customer, first, multi, ['read']);
      await grantConnection(t, customer, second, multi, ['write']);
      const ambiguous = await t.http().get(fetchPath(multi, 'provider=deputy')).set(multi.headers);
      expect(ambiguous.status).toBe(409);
      expect(ambiguous.body.detail).toMatch(/name/);
      const byName = await t.http().get(fetchPath(multi, 'provider=deputy&name=roster-b')).set(multi.headers).expect(200);
      expect(byName.body).toMatchObject({ credentials: { k: 'b' }, capabilities: ['write'], name: 'roster-b' });
      expect((await t.http().get(fetchPath(multi, 'provider=deputy&name=roster-c')).set(multi.headers)).status).toBe(404);
    });

    it('answers 404 once the grant is deleted, and once the connection is deleted', async () => {
      const revoking = await createInstance(t, customer, 'revoking');
      const connection = await createConnection(t, customer, { provider: 'revoked' });
      const grant = await grantConnection(t, customer, connection, revoking);
      await t.http().get(fetchPath(revoking, 'provider=revoked')).set(revoking.headers).expect(200);
      await t.http().delete(`/v1/customers/${customer.id}/connections/${connection.id}/grants/${grant.id}`).set(customer.headers).expect(204);
      expect((await t.http().get(fetchPath(revoking, 'provider=revoked')).set(revoking.headers)).status).toBe(404);

      const again = await createConnection(t, customer, { provider: 'deleted' });
      await grantConnection(t, customer, again, revoking);
      await t.http().get(fetchPath(revoking, 'provider=deleted')).set(revoking.headers).expect(200);
      await t.http().delete(`/v1/customers/${customer.id}/connections/${again.id}`).set(customer.headers).expect(204);
      expect((await t.http().get(fetchPath(revoking, 'provider=deleted')).set(revoking.headers)).status).toBe(404);
    });

    it('answers 401 once the instance is deleted', async () => {
      const doomed = await createInstance(t, customer, 'doomed');
      const connection = await createConnection(t, customer, { provider: 'doomed' });
      await grantConnection(t, customer, connection, doomed);
      await t.http().get(fetchPath(doomed, 'provider=doomed')).set(doomed.headers).expect(200);
      await t.http().delete(`/v1/customers/${customer.id}/instances/${doomed.id}`).set(customer.headers).expect(204);
      expect((await t.http().get(fetchPath(doomed, 'provider=doomed')).set(doomed.headers)).status).toBe(401);
    });

    it('never crosses customers: a grant row giving this customer’s connection to another customer’s instance (written by SQL) is not served', async () => {
      const other = await createCustomer(t);
      const foreign = await createInstance(t, other);
      const [gmail]: { id: string }[] = await t.db.query(`SELECT id FROM connections WHERE customer_id = $1 AND provider = 'gmail'`, [customer.id]);
      await t.db.query(`INSERT INTO grants (connection_id, instance_id, capabilities) VALUES ($1, $2, '["send_mail"]')`, [gmail.id, foreign.id]);
      // The row is there, of the asked provider: only the fetch's own customer check stands between.
      expect(await t.db.query('SELECT provider FROM grants WHERE instance_id = $1', [foreign.id])).toEqual([{ provider: 'gmail' }]);
      const response = await t.http().get(fetchPath(foreign, 'provider=gmail')).set(foreign.headers);
      expect(response.status).toBe(404);
      expect(JSON.stringify(response.body)).not.toContain('gmail-secret-token');
    });
  });

  describe('validation', () => {
    it.each([
      ['provider missing', '', [['query', 'provider'], 'missing']],
      ['provider empty', 'provider=', [['query', 'provider'], 'string_too_short']],
      ['provider over 50 chars', `provider=${'p'.repeat(51)}`, [['query', 'provider'], 'string_too_long']],
      ['provider given twice', 'provider=a&provider=b', [['query', 'provider'], 'string_type']],
      ['capability over 100 chars', `provider=gmail&capability=${'c'.repeat(101)}`, [['query', 'capability'], 'string_too_long']],
      ['a NUL in name', 'provider=gmail&name=a%00b', [['query', 'name'], 'string_nul']],
    ])('rejects %s with 422 at the parameter', async (_case, query, [loc, type]) => {
      const response = await t.http().get(fetchPath(instance, query)).set(instance.headers);
      expect(response.status).toBe(422);
      expect(response.body.detail.map((issue: { loc: unknown; type: string }) => [issue.loc, issue.type])).toEqual([[loc, type]]);
    });

    it('rejects a malformed instance id with 422 at path.instance_id', async () => {
      const response = await t.http().get('/internal/v1/instances/not-a-uuid/connections?provider=gmail').set(instance.headers);
      expect(response.status).toBe(422);
      expect(response.body.detail[0].loc).toEqual(['path', 'instance_id']);
    });
  });

  describe('last_used_at', () => {
    it('shows a fetch within 5 seconds', async () => {
      const user = await createInstance(t, customer, 'user');
      const connection = await createConnection(t, customer, { provider: 'touched' });
      await grantConnection(t, customer, connection, user);
      const before = Date.now();
      await t.http().get(fetchPath(user, 'provider=touched')).set(user.headers).expect(200);
      let lastUsedAt: string | null = null;
      for (const deadline = Date.now() + 5_000; lastUsedAt === null && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const got = await t.http().get(`/v1/customers/${customer.id}/connections/${connection.id}`).set(customer.headers).expect(200);
        lastUsedAt = got.body.last_used_at;
      }
      expect(lastUsedAt).not.toBeNull();
      expect(Date.parse(lastUsedAt!)).toBeGreaterThanOrEqual(before - 5);
    });

    it('is kept in connection_last_uses, a row per connection made with it and gone with it', async () => {
      const user = await createInstance(t, customer, 'user of a raw connection');
      const connection = await createConnection(t, customer, { provider: 'kept-apart' });
      // A connection written straight to the database gets its row too (the trigger, not the service).
      const [{ id: raw }] = await t.db.query(
        `INSERT INTO connections (id, customer_id, provider, name, auth_type, scopes, credentials_ciphertext, credentials_nonce, wrapped_data_key, key_id)
         VALUES (gen_random_uuid(), $1, 'raw', 'raw', 'oauth2', '[]', '\\x00', '\\x00', '\\x00', 'k') RETURNING id`,
        [customer.id],
      );
      const lastUses = async () =>
        (await t.db.query(`SELECT connection_id, last_used_at FROM connection_last_uses WHERE connection_id = ANY ($1) ORDER BY connection_id`, [[connection.id, raw]])) as {
          connection_id: string;
          last_used_at: Date | null;
        }[];
      expect(await lastUses()).toEqual([connection.id, raw].sort().map((id) => ({ connection_id: id, last_used_at: null })));

      await grantConnection(t, customer, connection, user);
      const before = Date.now();
      await t.http().get(fetchPath(user, 'provider=kept-apart')).set(user.headers).expect(200);
      await t.flushLastUsed();
      const written = (await lastUses()).find((row) => row.connection_id === connection.id)!;
      expect(written.last_used_at!.getTime()).toBeGreaterThanOrEqual(before - 5);
      // Nothing of it is left in the connection's own row.
      const columns: { column_name: string }[] = await t.db.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'connections'`);
      expect(columns.map((column) => column.column_name)).not.toContain('last_used_at');

      await t.http().delete(`/v1/customers/${customer.id}/connections/${connection.id}`).set(customer.headers).expect(204);
      await t.db.query('DELETE FROM connections WHERE id = $1', [raw]);
      expect(await lastUses()).toEqual([]);
    });
  });

  it('writes no credential or proxy key into any log line', async () => {
    await t.http().get(fetchPath(instance, 'provider=gmail')).set(instance.headers).expect(200);
    const log = t.logLines.join('\n');
    expect(log).toContain('/internal/v1/instances/:instance_id/connections');
    for (const secret of ['gmail-secret-token', 'gmail-refresh', instance.proxyKey, customer.apiKey]) {
      expect(log).not.toContain(secret);
    }
  });
});
