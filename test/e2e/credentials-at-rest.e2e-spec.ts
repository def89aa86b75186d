import { CredentialSealer, KeyRing } from '../../src/crypto/credential-sealer';
import { rotateDataKeys } from '../../src/crypto/key-rotation';
import { columnsHolding } from '../support/expectations';
import { createConnection, createCustomer, createInstance, grantConnection, type TestConnection, type TestCustomer, type TestInstance } from '../support/factories';
import { TEST_ADMIN_KEY, TEST_ENCRYPTION_KEY, TEST_ENCRYPTION_KEY_ID, TestApp } from '../support/test-app';

const fetchPath = (instance: TestInstance, provider: string) => `/internal/v1/instances/${instance.id}/connections?provider=${provider}`;

describe('Credentials at rest', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  it('keeps no credential, API key or proxy key in clear in any column of the database', async () => {
    const customer = await createCustomer(t);
    const instance = await createInstance(t, customer);
    const rotated = await t.http().post(`/v1/customers/${customer.id}/instances/${instance.id}/proxy-key`).set(customer.headers).expect(201);
    const connection = await createConnection(t, customer, {
      provider: 'sealed',
      credentials: { access_token: 'clear-access-token-4f1d', nested: { password: 'clear-password-9a7c' } },
    });
    await t.http().patch(`/v1/customers/${customer.id}/connections/${connection.id}`).set(customer.headers).send({ credentials: { access_token: 'clear-patched-token-22e1' } }).expect(200);
    await t.flushLastUsed();

    for (const secret of ['clear-access-token-4f1d', 'clear-password-9a7c', 'clear-patched-token-22e1', customer.apiKey, instance.proxyKey, rotated.body.proxy_key, TEST_ADMIN_KEY]) {
      expect([secret, await columnsHolding(t.db, secret)]).toEqual([secret, []]);
    }
    const [row] = await t.db.query('SELECT key_id, length(wrapped_data_key) AS wrapped, length(credentials_nonce) AS nonce FROM connections WHERE id = $1', [connection.id]);
    expect(row).toEqual({ key_id: TEST_ENCRYPTION_KEY_ID, wrapped: 12 + 32 + 16, nonce: 12 });
  });

  it('refuses to open a ciphertext copied into another row: 500 with a generic detail, logged as an integrity failure', async () => {
    const customer = await createCustomer(t);
    const instance = await createInstance(t, customer);
    const source = await createConnection(t, customer, { provider: 'source', credentials: { token: 'source-secret-71b2' } });
    const target = await createConnection(t, customer, { provider: 'target', credentials: { token: 'target-secret-0c9e' } });
    await grantConnection(t, customer, target, instance);
    await t.db.query(
      `UPDATE connections AS t SET credentials_ciphertext = s.credentials_ciphertext, credentials_nonce = s.credentials_nonce,
              wrapped_data_key = s.wrapped_data_key, key_id = s.key_id
         FROM connections AS s WHERE s.id = $1 AND t.id = $2`,
      [source.id, target.id],
    );

    const response = await t.http().get(fetchPath(instance, 'target')).set(instance.headers).set('X-Request-Id', 'integrity-check-1');
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ detail: 'Internal server error', error_id: expect.any(String) });
    expect(response.text).not.toMatch(/source-secret|target-secret|token/);

    const errorLine = t.logLines.map((line) => JSON.parse(line)).find((line) => line.req_id === 'integrity-check-1' && line.level === 'error');
    expect(errorLine).toMatchObject({ integrity_failure: true, error_id: response.body.error_id });
    expect(t.logLines.join('\n')).not.toMatch(/source-secret|target-secret/);
  });

  it('refuses an altered ciphertext the same way', async () => {
    const customer = await createCustomer(t);
    const instance = await createInstance(t, customer);
    const connection = await createConnection(t, customer, { provider: 'tampered' });
    await grantConnection(t, customer, connection, instance);
    await t.db.query(`UPDATE connections SET credentials_ciphertext = set_byte(credentials_ciphertext, 0, get_byte(credentials_ciphertext, 0) # 1) WHERE id = $1`, [connection.id]);
    const response = await t.http().get(fetchPath(instance, 'tampered')).set(instance.headers);
    expect([response.status, response.body.detail]).toEqual([500, 'Internal server error']);
  });
});

describe('Master key rotation', () => {
  const NEW_KEY = Buffer.alloc(32, 9).toString('base64');
  const NEW_KEY_ID = 'test-k2';
  const afterRotationEnv = { ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEY_ID: NEW_KEY_ID, ENCRYPTION_PREVIOUS_KEYS: `${TEST_ENCRYPTION_KEY_ID}:${TEST_ENCRYPTION_KEY}` };

  let t: TestApp;
  let customer: TestCustomer;
  let instance: TestInstance;
  const connections: TestConnection[] = [];

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
    instance = await createInstance(t, customer);
    for (let i = 0; i < 5; i++) {
      const connection = await createConnection(t, customer, { provider: `p${i}`, credentials: { token: `token-${i}` } });
      await grantConnection(t, customer, connection, instance);
      connections.push(connection);
    }
  });
  afterAll(() => t.close());

  async function expectEveryRowOpens(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const response = await t.http().get(fetchPath(instance, `p${i}`)).set(instance.headers);
      expect([i, response.status, response.body.credentials]).toEqual([i, 200, { token: `token-${i}` }]);
    }
  }

  it('opens every row before and after keys:rotate, and afterwards without the previous key', async () => {
    await expectEveryRowOpens(5);

    // The new key is active, the old one still opens the rows sealed under it.
    await t.restart(afterRotationEnv);
    await expectEveryRowOpens(5);
    const newer = await createConnection(t, customer, { provider: 'p5', credentials: { token: 'token-5' } });
    await grantConnection(t, customer, newer, instance);
    const ciphertextsBefore = await t.db.query('SELECT id, credentials_ciphertext FROM connections ORDER BY id');

    const sealer = new CredentialSealer(new KeyRing({ id: NEW_KEY_ID, key: Buffer.from(NEW_KEY, 'base64') }, [{ id: TEST_ENCRYPTION_KEY_ID, key: Buffer.from(TEST_ENCRYPTION_KEY, 'base64') }]));
    const report = await rotateDataKeys(t.db, sealer, { batchSize: 2 });
    expect(report).toMatchObject({ rewrapped: 5, failed: [], remaining: 0 });
    expect(await t.db.query('SELECT DISTINCT key_id FROM connections')).toEqual([{ key_id: NEW_KEY_ID }]);
    expect(await t.db.query('SELECT id, credentials_ciphertext FROM connections ORDER BY id')).toEqual(ciphertextsBefore);
    expect(await rotateDataKeys(t.db, sealer)).toMatchObject({ rewrapped: 0, failed: [], remaining: 0 });
    await expectEveryRowOpens(6);

    // The previous key can now be dropped.
    await t.restart({ ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEY_ID: NEW_KEY_ID });
    await expectEveryRowOpens(6);
  });

  it('cannot open rows of a master key that is no longer configured, and keys:rotate reports them', async () => {
    const stale = await createConnection(t, customer, { provider: 'stale' });
    await grantConnection(t, customer, stale, instance);
    await t.db.query(`UPDATE connections SET key_id = 'gone' WHERE id = $1`, [stale.id]);
    expect((await t.http().get(fetchPath(instance, 'stale')).set(instance.headers)).status).toBe(500);
    const sealer = new CredentialSealer(new KeyRing({ id: NEW_KEY_ID, key: Buffer.from(NEW_KEY, 'base64') }, []));
    expect(await rotateDataKeys(t.db, sealer)).toMatchObject({ rewrapped: 0, failed: [stale.id], remaining: 1 });
  });
});
