import { lookup } from 'node:dns/promises';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { CredentialSealer, KeyRing } from '../../src/crypto/credential-sealer';
import { rotateDataKeys } from '../../src/crypto/key-rotation';
import { isPublicAddress } from '../../src/outbound/address-rule';
import { sealWebhookSecrets } from '../../src/webhooks/webhook-secrets';
import { expectValidationError } from '../support/expectations';
import { createConnection, createCustomer, type TestCustomer } from '../support/factories';
import { TEST_ENCRYPTION_KEY, TEST_ENCRYPTION_KEY_ID, TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

const FAST_DELIVERY: NodeJS.ProcessEnv = { WEBHOOK_POLL_INTERVAL_MS: '20', WEBHOOK_RETRY_DELAYS_MS: '60000', WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_LEASE_MS: '5000' };

async function deliveriesWhen(t: TestApp, webhookId: string, done: (rows: { status: string; error: string | null; response_status: number | null }[]) => boolean) {
  for (const deadline = Date.now() + 10_000; ; ) {
    const rows = await t.db.query('SELECT status, error, response_status FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at, id', [webhookId]);
    if (done(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`deliveries never reached the expected state: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Webhook URLs: https and public addresses only, unless OUTBOUND_ALLOW_PRIVATE_NETWORKS', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let endpoint: WebhookReceiver;
  /** A public address written as such: accepted without resolving a name (never called: it is paused). */
  const PUBLIC_URL = 'https://93.184.215.14/hooks';
  let publicWebhookId: string;
  beforeAll(async () => {
    t = await TestApp.start(FAST_DELIVERY);
    customer = await createCustomer(t);
    endpoint = await WebhookReceiver.start();
    const created = await t.http().post(`/v1/customers/${customer.id}/webhooks`).set(customer.headers).send({ url: PUBLIC_URL, events: ['grant.created'] }).expect(201);
    publicWebhookId = created.body.id;
    await t.http().patch(`/v1/customers/${customer.id}/webhooks/${publicWebhookId}`).set(customer.headers).send({ enabled: false }).expect(200);
  });
  afterAll(async () => {
    await t.close();
    await endpoint.close();
  });

  it.each([
    ['plain http', 'http://hooks.example.com/x'],
    ['loopback', 'https://127.0.0.1/x'],
    ['the test receiver', 'RECEIVER'],
    ['a private network', 'https://10.0.0.5/x'],
    ['a private network (192.168)', 'https://192.168.1.10/x'],
    ['link-local (cloud metadata)', 'https://169.254.169.254/latest/meta-data'],
    ['IPv6 loopback', 'https://[::1]/x'],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/x'],
    ['localhost', 'https://localhost/x'],
    ['the unspecified address', 'https://0.0.0.0/x'],
  ])('refuses %s with 422 at body.url, on create and on update', async (_name, given) => {
    const url = given === 'RECEIVER' ? endpoint.url : given;
    const created = await t.http().post(`/v1/customers/${customer.id}/webhooks`).set(customer.headers).send({ url, events: ['*'] });
    expectValidationError(created, [['body', 'url'], 'url_refused']);
    expect(created.body.detail[0].msg).toMatch(/^The URL (must|resolves to a loopback)/);
    const updated = await t.http().patch(`/v1/customers/${customer.id}/webhooks/${publicWebhookId}`).set(customer.headers).send({ url });
    expectValidationError(updated, [['body', 'url'], 'url_refused']);
    const [row] = await t.db.query('SELECT url FROM webhooks WHERE id = $1', [publicWebhookId]);
    expect(row.url).toBe(PUBLIC_URL);
  });

  it('refuses a name that resolves to a non-public address when saved', async () => {
    const name = hostname();
    const { address } = await lookup(name);
    expect(isPublicAddress(address)).toBe(false);
    const created = await t.http().post(`/v1/customers/${customer.id}/webhooks`).set(customer.headers).send({ url: `https://${name}/x`, events: ['*'] });
    expectValidationError(created, [['body', 'url'], 'url_refused']);
    expect(created.body.detail[0].msg).toMatch(/non-public address/);
  });

  it('refuses the address when called: a webhook whose URL became private fails its attempt, and nothing is sent', async () => {
    // As if its name resolved to a public address when saved and to loopback now: written by SQL.
    const webhookId = randomUUID();
    const sealed = sealWebhookSecrets(t.app.get(CredentialSealer), { current: `whsec_${Buffer.alloc(32, 4).toString('base64')}` }, { webhookId, customerId: customer.id });
    await t.db.query(
      `INSERT INTO webhooks (id, customer_id, url, events, secret_ciphertext, secret_nonce, wrapped_data_key, key_id) VALUES ($1, $2, $3, '["*"]', $4, $5, $6, $7)`,
      [webhookId, customer.id, endpoint.url, sealed.secretCiphertext, sealed.secretNonce, sealed.wrappedDataKey, sealed.keyId],
    );
    await createConnection(t, customer);
    const [attempt] = await deliveriesWhen(t, webhookId, (rows) => rows[0]?.status === 'failed');
    expect(attempt).toMatchObject({ response_status: null, error: expect.stringMatching(/^refused_url: /) });
    expect(endpoint.received).toHaveLength(0);
  });

  it('allows loopback http with OUTBOUND_ALLOW_PRIVATE_NETWORKS=true, and delivers there', async () => {
    await t.restart({ ...FAST_DELIVERY, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' });
    const created = await t.http().post(`/v1/customers/${customer.id}/webhooks`).set(customer.headers).send({ url: endpoint.url, events: ['*'] }).expect(201);
    await t.http().post(`/v1/customers/${customer.id}/webhooks/${created.body.id}/test`).set(customer.headers).expect(202);
    const [request] = await endpoint.waitFor(1);
    expect(JSON.parse(request.body)).toMatchObject({ type: 'webhook.test', data: { webhook_id: created.body.id } });
  });
});

describe('Webhook secrets at rest and keys:rotate', () => {
  const NEW_KEY = Buffer.alloc(32, 11).toString('base64');
  const NEW_KEY_ID = 'test-k2';
  let t: TestApp;
  let customer: TestCustomer;
  let endpoint: WebhookReceiver;
  const env = { ...FAST_DELIVERY, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' };
  beforeAll(async () => {
    t = await TestApp.start(env);
    customer = await createCustomer(t);
    endpoint = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await t.close();
    await endpoint.close();
  });

  it('re-wraps webhook secrets under the new master key; they sign as before without the previous key', async () => {
    const created = await t.http().post(`/v1/customers/${customer.id}/webhooks`).set(customer.headers).send({ url: endpoint.url, events: ['*'] }).expect(201);
    const secret: string = created.body.secret;
    const [before] = await t.db.query('SELECT secret_ciphertext, key_id FROM webhooks WHERE id = $1', [created.body.id]);
    expect(before.key_id).toBe(TEST_ENCRYPTION_KEY_ID);

    const sealer = new CredentialSealer(new KeyRing({ id: NEW_KEY_ID, key: Buffer.from(NEW_KEY, 'base64') }, [{ id: TEST_ENCRYPTION_KEY_ID, key: Buffer.from(TEST_ENCRYPTION_KEY, 'base64') }]));
    expect(await rotateDataKeys(t.db, sealer)).toMatchObject({ rewrapped: 1, failed: [], remaining: 0, tables: expect.arrayContaining([expect.objectContaining({ table: 'webhooks', rewrapped: 1 })]) });
    const [after] = await t.db.query('SELECT secret_ciphertext, key_id FROM webhooks WHERE id = $1', [created.body.id]);
    expect(after).toEqual({ secret_ciphertext: before.secret_ciphertext, key_id: NEW_KEY_ID });

    await t.restart({ ...env, ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEY_ID: NEW_KEY_ID });
    await t.http().post(`/v1/customers/${customer.id}/webhooks/${created.body.id}/test`).set(customer.headers).expect(202);
    const [request] = await endpoint.waitFor(1);
    const payload = new StandardWebhook(secret).verify(request.body, {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    });
    expect(payload).toMatchObject({ type: 'webhook.test' });
  });
});
