import { Webhook as StandardWebhook } from 'standardwebhooks';
import { BackgroundRefresher } from '../../src/token-refresh/background-refresher';
import { CONNECTION_EVENT_TYPES } from '../../src/events/connection-event.entity';
import { expectErrorDetail, expectValidationError, TIMESTAMP_SHAPE, UNKNOWN_ID, UUID_SHAPE } from '../support/expectations';
import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer } from '../support/factories';
import { asAdmin, TestApp } from '../support/test-app';
import { TokenServer } from '../support/token-server';
import { type Reply, type ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver';

/** Loopback receivers allowed, and a retry schedule of milliseconds instead of hours. */
const FAST_WEBHOOKS: NodeJS.ProcessEnv = {
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_POLL_INTERVAL_MS: '20',
  WEBHOOK_RETRY_DELAYS_MS: '50,50,50,50,50,50,50',
  WEBHOOK_TIMEOUT_MS: '1000',
  WEBHOOK_LEASE_MS: '5000',
};
const SECRET_SHAPE = /^whsec_[A-Za-z0-9+/]{43}=$/;

/** Verifies the request with the standardwebhooks package (not our code); returns the parsed body. */
function verified(secret: string, request: ReceivedWebhook): { type: string; timestamp: string; data: Record<string, unknown> } {
  return new StandardWebhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  }) as { type: string; timestamp: string; data: Record<string, unknown> };
}

describe('Webhooks', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let other: TestCustomer;
  const receivers: WebhookReceiver[] = [];
  const path = (c: TestCustomer, suffix = '') => `/v1/customers/${c.id}/webhooks${suffix}`;

  async function receiver(reply?: (index: number, request: ReceivedWebhook) => Reply): Promise<WebhookReceiver> {
    const started = await WebhookReceiver.start(reply);
    receivers.push(started);
    return started;
  }

  async function createWebhook(c: TestCustomer, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    const response = await t.http().post(path(c)).set(c.headers).send(body).expect(201);
    return { id: response.body.id, secret: response.body.secret };
  }

  async function deliveries(c: TestCustomer, webhookId: string): Promise<Record<string, unknown>[]> {
    return (await t.http().get(path(c, `/${webhookId}/deliveries`)).set(c.headers).expect(200)).body.deliveries;
  }

  /** Polls the deliveries list until `done` holds (the loop runs every 20 ms here). */
  async function deliveriesWhen(c: TestCustomer, webhookId: string, done: (list: Record<string, unknown>[]) => boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await deliveries(c, webhookId);
      if (done(list)) return list;
      if (Date.now() > deadline) throw new Error(`deliveries never reached the expected state: ${JSON.stringify(list)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  beforeAll(async () => {
    // No background refresh pass unless a test runs one.
    t = await TestApp.start(FAST_WEBHOOKS, undefined, { refreshSchedule: { backgroundIntervalMs: 3_600_000 } });
    customer = await createCustomer(t);
    other = await createCustomer(t);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(receivers.map((started) => started.close()));
  });

  describe('POST /v1/customers/:customer_id/webhooks', () => {
    it('creates a webhook and shows its secret once, sealed at rest', async () => {
      const response = await t
        .http()
        .post(path(customer))
        .set(customer.headers)
        .send({ url: 'http://127.0.0.1:9/hooks', events: ['connection.revoked', 'connection.expired'], description: 'reconnect' })
        .expect(201);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({
        id: expect.stringMatching(UUID_SHAPE),
        customer_id: customer.id,
        url: 'http://127.0.0.1:9/hooks',
        events: ['connection.revoked', 'connection.expired'],
        description: 'reconnect',
        enabled: true,
        created_at: expect.stringMatching(TIMESTAMP_SHAPE),
        updated_at: expect.stringMatching(TIMESTAMP_SHAPE),
        secret: expect.stringMatching(SECRET_SHAPE),
      });
      expect(Buffer.from(response.body.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);

      const shown = await t.http().get(path(customer, `/${response.body.id}`)).set(customer.headers).expect(200);
      const { secret, ...rest } = response.body;
      expect(shown.body).toEqual(rest);
      const [row] = await t.db.query(`SELECT row_to_json(w)::text AS json, encode(secret_ciphertext, 'escape') AS raw FROM webhooks w WHERE id = $1`, [response.body.id]);
      for (const text of [row.json, row.raw]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(secret.slice('whsec_'.length));
      }
      expect(t.logLines.join('\n')).not.toContain(secret.slice('whsec_'.length));
    });

    it('defaults description to null and takes ["*"] for every event', async () => {
      const response = await t.http().post(path(customer)).set(customer.headers).send({ url: 'http://127.0.0.1:9/all', events: ['*'] }).expect(201);
      expect(response.body).toMatchObject({ events: ['*'], description: null, enabled: true });
    });

    it('refuses events outside the contract, "*" beside others, repeats, and none at all', async () => {
      const post = (events: unknown) => t.http().post(path(customer)).set(customer.headers).send({ url: 'http://127.0.0.1:9/x', events });
      expectValidationError(await post(['connection.created', 'connection.exploded']), [['body', 'events'], 'enum']);
      expectValidationError(await post(['*', 'connection.created']), [['body', 'events'], 'value_error']);
      expectValidationError(await post(['grant.created', 'grant.created']), [['body', 'events'], 'value_error']);
      expectValidationError(await post([]), [['body', 'events'], 'too_short']);
      expectValidationError(await post('*'), [['body', 'events'], 'list_type']);
      expectValidationError(await post(['webhook.test']), [['body', 'events'], 'enum']);
    });

    it('refuses a missing url, one that is not a URL, and unknown fields', async () => {
      expectValidationError(await t.http().post(path(customer)).set(customer.headers).send({ events: ['*'] }), [['body', 'url'], 'missing']);
      expectValidationError(await t.http().post(path(customer)).set(customer.headers).send({ url: 'not a url', events: ['*'] }), [['body', 'url'], 'url_refused']);
      expectValidationError(await t.http().post(path(customer)).set(customer.headers).send({ url: 'ftp://127.0.0.1/x', events: ['*'] }), [['body', 'url'], 'url_refused']);
      expectValidationError(await t.http().post(path(customer)).set(customer.headers).send({ url: 'http://127.0.0.1:9/x', events: ['*'], secret: 'whsec_mine' }), [['body', 'secret'], 'extra_forbidden']);
    });

    it('answers 401 without credentials, 403 to another customer, 404 for a customer that does not exist', async () => {
      const body = { url: 'http://127.0.0.1:9/x', events: ['*'] };
      expectErrorDetail(await t.http().post(path(customer)).send(body), 401);
      expectErrorDetail(await t.http().post(path(customer)).set(other.headers).send(body), 403);
      expectErrorDetail(await t.http().post(`/v1/customers/${UNKNOWN_ID}/webhooks`).set(asAdmin).send(body), 404, 'Customer not found');
    });
  });

  describe('GET, PATCH, DELETE /v1/customers/:customer_id/webhooks/:webhook_id and the list', () => {
    it('lists a customer\u2019s webhooks oldest first, paged, never with a secret', async () => {
      const owner = await createCustomer(t);
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await createWebhook(owner, { url: `http://127.0.0.1:9/${i}`, events: ['*'] })).id);
      const all = await t.http().get(path(owner)).set(owner.headers).expect(200);
      expect(all.body.total).toBe(3);
      expect(all.body.webhooks.map((webhook: { id: string }) => webhook.id)).toEqual(ids);
      expect(JSON.stringify(all.body)).not.toContain('whsec_');
      const page = await t.http().get(path(owner, '?limit=1&offset=1')).set(owner.headers).expect(200);
      expect(page.body).toEqual({ webhooks: [all.body.webhooks[1]], total: 3 });
      expectValidationError(await t.http().get(path(owner, '?limit=0')).set(owner.headers), [['query', 'limit'], 'greater_than_equal']);
      expectValidationError(await t.http().get(path(owner, '?limit=1001')).set(owner.headers), [['query', 'limit'], 'less_than_equal']);
      expect((await t.http().get(path(await createCustomer(t))).set(asAdmin).expect(200)).body).toEqual({ webhooks: [], total: 0 });
      expectErrorDetail(await t.http().get(`/v1/customers/${UNKNOWN_ID}/webhooks`).set(asAdmin), 404, 'Customer not found');
    });

    it('changes url, events, description and enabled; null clears the description', async () => {
      const { id } = await createWebhook(customer, { url: 'http://127.0.0.1:9/a', events: ['*'], description: 'first' });
      const changed = await t
        .http()
        .patch(path(customer, `/${id}`))
        .set(customer.headers)
        .send({ url: 'http://127.0.0.1:9/b', events: ['grant.created'], description: null, enabled: false })
        .expect(200);
      expect(changed.body).toMatchObject({ id, url: 'http://127.0.0.1:9/b', events: ['grant.created'], description: null, enabled: false });
      expect((await t.http().get(path(customer, `/${id}`)).set(customer.headers).expect(200)).body).toEqual(changed.body);
      expectValidationError(await t.http().patch(path(customer, `/${id}`)).set(customer.headers).send({ enabled: 'yes' }), [['body', 'enabled'], 'bool_type']);
      expectValidationError(await t.http().patch(path(customer, `/${id}`)).set(customer.headers).send({ url: null }), [['body', 'url'], 'string_type']);
      expectValidationError(await t.http().patch(path(customer, `/${id}`)).set(customer.headers).send({ events: ['nope'] }), [['body', 'events'], 'enum']);
    });

    it('deletes a webhook with its deliveries', async () => {
      const { id } = await createWebhook(customer, { url: 'http://127.0.0.1:9/gone', events: ['*'] });
      await t.http().post(path(customer, `/${id}/test`)).set(customer.headers).expect(202);
      await t.http().delete(path(customer, `/${id}`)).set(customer.headers).expect(204);
      expectErrorDetail(await t.http().get(path(customer, `/${id}`)).set(customer.headers), 404, 'Webhook not found');
      expectErrorDetail(await t.http().delete(path(customer, `/${id}`)).set(customer.headers), 404, 'Webhook not found');
      expect(await t.db.query('SELECT id FROM webhook_deliveries WHERE webhook_id = $1', [id])).toEqual([]);
    });

    it('answers another customer\u2019s webhook with 404 on every route, and 401 without credentials', async () => {
      const { id } = await createWebhook(customer, { url: 'http://127.0.0.1:9/mine', events: ['*'] });
      const routes = [
        (c: TestCustomer) => t.http().get(path(c, `/${id}`)),
        (c: TestCustomer) => t.http().patch(path(c, `/${id}`)).send({ enabled: false }),
        (c: TestCustomer) => t.http().delete(path(c, `/${id}`)),
        (c: TestCustomer) => t.http().post(path(c, `/${id}/rotate-secret`)),
        (c: TestCustomer) => t.http().post(path(c, `/${id}/test`)),
        (c: TestCustomer) => t.http().get(path(c, `/${id}/deliveries`)),
      ];
      for (const route of routes) {
        expectErrorDetail(await route(other).set(other.headers), 404, 'Webhook not found');
        expectErrorDetail(await route(customer), 401);
      }
      expectValidationError(await t.http().get(path(customer, '/not-a-uuid')).set(customer.headers), [['path', 'webhook_id'], 'uuid_parsing']);
      expect((await t.http().get(path(customer, `/${id}`)).set(customer.headers).expect(200)).body.enabled).toBe(true);
    });
  });

  describe('audit trail', () => {
    it('records creating, changing, rotating the secret of and deleting a webhook, by whom, never the secret', async () => {
      const owner = await createCustomer(t);
      const created = await createWebhook(owner, { url: 'http://127.0.0.1:9/audited', events: ['*'] });
      await t.http().patch(path(owner, `/${created.id}`)).set(owner.headers).send({ enabled: false }).expect(200);
      const rotated = await t.http().post(path(owner, `/${created.id}/rotate-secret`)).set(owner.headers).expect(201);
      await t.http().delete(path(owner, `/${created.id}`)).set(owner.headers).expect(204);
      const trail = await t.http().get(`/v1/customers/${owner.id}/audit-events`).set(owner.headers).expect(200);
      const webhookEvents = trail.body.audit_events.filter((event: { action: string }) => event.action.startsWith('webhook.'));
      expect(webhookEvents.map(({ action, outcome, status, actor }: Record<string, unknown>) => ({ action, outcome, status, kind: (actor as { kind: string }).kind }))).toEqual([
        { action: 'webhook.create', outcome: 'success', status: 201, kind: 'customer' },
        { action: 'webhook.update', outcome: 'success', status: 200, kind: 'customer' },
        { action: 'webhook.rotate_secret', outcome: 'success', status: 201, kind: 'customer' },
        { action: 'webhook.delete', outcome: 'success', status: 204, kind: 'customer' },
      ]);
      for (const secret of [created.secret, rotated.body.secret]) expect(JSON.stringify(trail.body)).not.toContain(secret.slice('whsec_'.length));
    });
  });

  describe('delivery', () => {
    it('sends the events of API changes with the Connection or Grant as the API shows it, signed, never with credentials', async () => {
      const owner = await createCustomer(t);
      const endpoint = await receiver();
      const { secret } = await createWebhook(owner, { url: endpoint.url, events: ['*'] });
      const token = 'tok-never-in-a-webhook-8f1d';

      const created = (await t.http().post(`/v1/customers/${owner.id}/connections`).set(owner.headers).send({ provider: 'slack', name: 'inbox', credentials: { access_token: token, refresh_token: `r-${token}` } }).expect(201)).body;
      const connectionPath = `/v1/customers/${owner.id}/connections/${created.id}`;
      const instance = await createInstance(t, owner);
      const grant = (await t.http().post(`${connectionPath}/grants`).set(owner.headers).send({ instance_id: instance.id, capabilities: ['read'] }).expect(201)).body;
      await t.http().delete(`${connectionPath}/grants/${grant.id}`).set(owner.headers).expect(204);
      await t.db.query(`UPDATE connections SET status = 'revoked', error_message = 'invalid_grant' WHERE id = $1`, [created.id]);
      const updated = (await t.http().patch(connectionPath).set(owner.headers).send({ credentials: { access_token: `new-${token}` } }).expect(200)).body;
      const beforeDelete = (await t.http().get(connectionPath).set(owner.headers).expect(200)).body;
      await t.http().delete(connectionPath).set(owner.headers).expect(204);

      const types = ['connection.created', 'grant.created', 'grant.deleted', 'connection.updated', 'connection.recovered', 'connection.deleted'];
      const received = await endpoint.waitFor(types.length);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(endpoint.received).toHaveLength(types.length);
      const events = received.map((request) => verified(secret, request));
      const byType = Object.fromEntries(events.map((event) => [event.type, event]));
      expect(Object.keys(byType).sort()).toEqual([...types].sort());
      expect(byType['connection.created'].data).toEqual(created);
      expect(byType['grant.created'].data).toEqual(grant);
      expect(byType['grant.deleted'].data).toEqual(grant);
      expect(byType['connection.updated'].data).toEqual(updated);
      expect(byType['connection.recovered'].data).toEqual(updated);
      expect(byType['connection.deleted'].data).toEqual(beforeDelete);
      for (const event of events) expect(event.timestamp).toMatch(TIMESTAMP_SHAPE);
      for (const request of received) {
        expect(request.body).not.toContain(token);
        expect(request.body).not.toContain('credentials');
        expect(request.headers['content-type']).toBe('application/json');
        expect(request.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
        expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      }
      expect(new Set(received.map((request) => request.headers['webhook-id'])).size).toBe(received.length);
    });

    it('sends the refresh lifecycle as the refresh engine writes it: refreshed, refresh_failed, recovered, revoked, expired', async () => {
      const owner = await createCustomer(t);
      const tokens = await TokenServer.start();
      try {
        const endpoint = await receiver();
        await t.http().post(`/v1/customers/${owner.id}/oauth-apps`).set(owner.headers).send({ provider: 'gmail', client_id: 'c1', client_secret: 'app-secret-never-sent', token_url: tokens.url }).expect(201);
        const firstRefreshToken = tokens.issueRefreshToken();
        const connection = (
          await t
            .http()
            .post(`/v1/customers/${owner.id}/connections`)
            .set(owner.headers)
            .send({ provider: 'gmail', name: 'inbox', credentials: { access_token: 'at-0', refresh_token: firstRefreshToken, expires_at: Math.floor(Date.now() / 1000) + 30 } })
            .expect(201)
        ).body;
        const { secret } = await createWebhook(owner, { url: endpoint.url, events: CONNECTION_EVENT_TYPES.filter((type) => type !== 'connection.created') });
        const refresh = () => t.http().post(`/v1/customers/${owner.id}/connections/${connection.id}/refresh`).set(owner.headers).expect(200);

        const refreshed = (await refresh()).body;
        tokens.mode = 'fail500';
        const failed = (await refresh()).body;
        tokens.mode = 'ok';
        const recovered = (await refresh()).body;
        tokens.mode = 'invalid_grant';
        const revoked = (await refresh()).body;
        // Not refreshable (an API key) and past its expiry: the background pass marks it expired.
        const stale = await createConnection(t, owner, { auth_type: 'api_key', credentials: { api_key: 'k', expires_at: Math.floor(Date.now() / 1000) - 60 } });
        await t.app.get(BackgroundRefresher).tick();
        const expired = (await t.http().get(`/v1/customers/${owner.id}/connections/${stale.id}`).set(owner.headers).expect(200)).body;
        expect([refreshed.status, failed.status, recovered.status, revoked.status, expired.status]).toEqual(['active', 'error', 'active', 'revoked', 'expired']);

        const received = await endpoint.waitFor(6);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const events = endpoint.received.map((request) => verified(secret, request));
        // Delivery is unordered: compared as a set of (type, status the connection had then).
        expect(events.map((event) => `${event.type} ${event.data.status}`).sort()).toEqual(
          ['connection.refreshed active', 'connection.refresh_failed error', 'connection.recovered active', 'connection.refreshed active', 'connection.revoked revoked', 'connection.expired expired'].sort(),
        );
        expect(events.find((event) => event.type === 'connection.expired')!.data).toEqual(expired);
        expect(events.find((event) => event.type === 'connection.revoked')!.data).toEqual(revoked);
        for (const request of received) {
          for (const handedOut of [...tokens.handedOut, firstRefreshToken, 'app-secret-never-sent']) expect(request.body).not.toContain(handedOut);
        }
      } finally {
        await tokens.close();
      }
    });

    it('sends only the subscribed events, to enabled webhooks of the customer only', async () => {
      const owner = await createCustomer(t);
      const deletions = await receiver();
      const disabled = await receiver();
      const otherCustomers = await receiver();
      await createWebhook(owner, { url: deletions.url, events: ['connection.deleted'] });
      const paused = await createWebhook(owner, { url: disabled.url, events: ['*'] });
      await t.http().patch(path(owner, `/${paused.id}`)).set(owner.headers).send({ enabled: false }).expect(200);
      await createWebhook(other, { url: otherCustomers.url, events: ['*'] });

      const connection = await createConnection(t, owner);
      await t.http().patch(`/v1/customers/${owner.id}/connections/${connection.id}`).set(owner.headers).send({ name: 'renamed' }).expect(200);
      await t.http().delete(`/v1/customers/${owner.id}/connections/${connection.id}`).set(owner.headers).expect(204);
      await deletions.waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(deletions.events().map((event) => event.type)).toEqual(['connection.deleted']);
      expect(disabled.received).toHaveLength(0);
      expect(otherCustomers.received).toHaveLength(0);
      expect(await deliveries(owner, paused.id)).toEqual([]);
    });

    it('sends a test event to that endpoint only, and lists it', async () => {
      const owner = await createCustomer(t);
      const tested = await receiver();
      const untouched = await receiver();
      const webhook = await createWebhook(owner, { url: tested.url, events: ['*'] });
      await createWebhook(owner, { url: untouched.url, events: ['*'] });
      const accepted = await t.http().post(path(owner, `/${webhook.id}/test`)).set(owner.headers).expect(202);
      expect(accepted.body).toEqual({
        id: expect.stringMatching(UUID_SHAPE),
        event_id: expect.stringMatching(UUID_SHAPE),
        event_type: 'webhook.test',
        attempt: 1,
        status: 'pending',
        response_status: null,
        error: null,
        created_at: expect.stringMatching(TIMESTAMP_SHAPE),
        next_attempt_at: expect.stringMatching(TIMESTAMP_SHAPE),
      });
      const [request] = await tested.waitFor(1);
      expect(verified(webhook.secret, request)).toEqual({ type: 'webhook.test', timestamp: expect.stringMatching(TIMESTAMP_SHAPE), data: { webhook_id: webhook.id } });
      const list = await deliveriesWhen(owner, webhook.id, (rows) => rows[0]?.status === 'succeeded');
      expect(list).toEqual([{ ...accepted.body, status: 'succeeded', response_status: 200, next_attempt_at: null }]);
      expect(untouched.received).toHaveLength(0);
    });

    it('holds a disabled webhook\u2019s pending attempts until it is enabled again, but sends it a test event', async () => {
      const owner = await createCustomer(t);
      const endpoint = await receiver();
      const webhook = await createWebhook(owner, { url: endpoint.url, events: ['*'] });
      await t.http().patch(path(owner, `/${webhook.id}`)).set(owner.headers).send({ enabled: false }).expect(200);
      // An attempt left pending from before it was disabled (a retry, say).
      await t.db.query(
        `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, occurred_at, message_id, attempt, status, next_attempt_at)
         VALUES ($1, gen_random_uuid(), 'connection.updated', now(), 'msg_held', 2, 'pending', now())`,
        [webhook.id],
      );
      await t.http().post(path(owner, `/${webhook.id}/test`)).set(owner.headers).expect(202);
      const [tested] = await endpoint.waitFor(1);
      expect(JSON.parse(tested.body).type).toBe('webhook.test');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(endpoint.received).toHaveLength(1);

      await t.http().patch(path(owner, `/${webhook.id}`)).set(owner.headers).send({ enabled: true }).expect(200);
      const [, held] = await endpoint.waitFor(2);
      expect(held.headers['webhook-id']).toBe('msg_held');
    });

    it('retries a receiver that fails twice: three attempts, one webhook-id, every attempt listed', async () => {
      const owner = await createCustomer(t);
      const endpoint = await receiver((index) => (index === 0 ? { status: 500, body: 'boom' } : index === 1 ? { status: 503 } : { status: 204 }));
      const webhook = await createWebhook(owner, { url: endpoint.url, events: ['connection.created'] });
      await createConnection(t, owner);
      const requests = await endpoint.waitFor(3);
      for (const request of requests) verified(webhook.secret, request);
      expect(new Set(requests.map((request) => request.headers['webhook-id'])).size).toBe(1);
      expect(requests.map((request) => request.body)).toEqual([requests[0].body, requests[0].body, requests[0].body]);

      const list = await deliveriesWhen(owner, webhook.id, (rows) => rows.length === 3 && rows[2].status === 'succeeded');
      expect(list.map(({ attempt, status, response_status, error }) => ({ attempt, status, response_status, error }))).toEqual([
        { attempt: 1, status: 'failed', response_status: 500, error: 'HTTP 500' },
        { attempt: 2, status: 'failed', response_status: 503, error: 'HTTP 503' },
        { attempt: 3, status: 'succeeded', response_status: 204, error: null },
      ]);
      expect(new Set(list.map((row) => row.event_id)).size).toBe(1);
      // A failed attempt says when its retry is due; the retry row was made then, pending until that time.
      expect(Date.parse(String(list[0].next_attempt_at))).toBeLessThanOrEqual(requests[1].at + 5);
      expect(Date.parse(String(list[0].next_attempt_at)) - Date.parse(String(list[0].created_at))).toBeGreaterThanOrEqual(50);
      expect(list[2].next_attempt_at).toBeNull();
      // The retry waited for its delay (50 ms here).
      expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(40);
    });

    it('gives up after the last retry of the schedule, and counts the attempts in /metrics', async () => {
      const attemptsCounted = async (outcome: string) => {
        const scraped = await t.http().get('/metrics').set(asAdmin).expect(200);
        const line = scraped.text.split('\n').find((entry) => entry.startsWith(`hydracore_webhook_deliveries_total{outcome="${outcome}"}`));
        return line ? Number(line.split(' ').pop()) : 0;
      };
      const [retryingBefore, givenUpBefore] = [await attemptsCounted('retrying'), await attemptsCounted('given_up')];
      const owner = await createCustomer(t);
      const endpoint = await receiver(() => ({ status: 500 }));
      const webhook = await createWebhook(owner, { url: endpoint.url, events: ['*'] });
      await t.http().post(path(owner, `/${webhook.id}/test`)).set(owner.headers).expect(202);
      // One attempt, then one per delay of the schedule (seven, as in the contract).
      const list = await deliveriesWhen(owner, webhook.id, (rows) => rows.length === 8 && rows[7].status === 'failed');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(endpoint.received).toHaveLength(8);
      expect(await deliveries(owner, webhook.id)).toHaveLength(8);
      expect(list.map((row) => row.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(list[7]).toMatchObject({ status: 'failed', next_attempt_at: null });
      expect(await attemptsCounted('retrying')).toBeGreaterThanOrEqual(retryingBefore + 7);
      expect(await attemptsCounted('given_up')).toBe(givenUpBefore + 1);
    });

    it('fails an attempt the receiver does not answer within the timeout, and retries it', async () => {
      const owner = await createCustomer(t);
      const endpoint = await receiver((index) => (index === 0 ? 'hang' : { status: 200 }));
      const webhook = await createWebhook(owner, { url: endpoint.url, events: ['*'] });
      await t.http().post(path(owner, `/${webhook.id}/test`)).set(owner.headers).expect(202);
      const requests = await endpoint.waitFor(2, 5_000);
      // WEBHOOK_TIMEOUT_MS is 1000 here (10000 by default, the contract's 10 s), then the 50 ms delay.
      expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(1_000);
      const list = await deliveriesWhen(owner, webhook.id, (rows) => rows[1]?.status === 'succeeded');
      expect(list.map(({ attempt, status, response_status }) => ({ attempt, status, response_status }))).toEqual([
        { attempt: 1, status: 'failed', response_status: null },
        { attempt: 2, status: 'succeeded', response_status: 200 },
      ]);
      expect(list[0].error).toMatch(/^timeout: /);
    });

    it('does not follow a redirect: the attempt fails with the 3xx and the target hears nothing', async () => {
      const owner = await createCustomer(t);
      const target = await receiver();
      const endpoint = await receiver(() => ({ status: 307, headers: { location: target.url } }));
      const webhook = await createWebhook(owner, { url: endpoint.url, events: ['*'] });
      await t.http().post(path(owner, `/${webhook.id}/test`)).set(owner.headers).expect(202);
      const list = await deliveriesWhen(owner, webhook.id, (rows) => rows[0]?.status === 'failed');
      expect(list[0]).toMatchObject({ response_status: 307, error: 'HTTP 307 (redirects are not followed)' });
      expect(target.received).toHaveLength(0);
    });

    it('never stores what the receiver answers, however large', async () => {
      const owner = await createCustomer(t);
      const answer = Buffer.alloc(1024 * 1024, 'leaked-body ');
      const endpoint = await receiver(() => ({ status: 500, body: answer }));
      const webhook = await createWebhook(owner, { url: endpoint.url, events: ['*'] });
      await t.http().post(path(owner, `/${webhook.id}/test`)).set(owner.headers).expect(202);
      const list = await deliveriesWhen(owner, webhook.id, (rows) => rows[0]?.status === 'failed');
      expect(list[0]).toMatchObject({ response_status: 500, error: 'HTTP 500' });
      const [{ found }] = await t.db.query(`SELECT count(*)::int AS found FROM webhook_deliveries WHERE error LIKE '%leaked-body%'`);
      expect(found).toBe(0);
    });

    it('signs with both the new and the old secret for the grace period after a rotation', async () => {
      const owner = await createCustomer(t);
      const endpoint = await receiver();
      const webhook = await createWebhook(owner, { url: endpoint.url, events: ['*'] });
      const rotated = await t.http().post(path(owner, `/${webhook.id}/rotate-secret`)).set(owner.headers).expect(201);
      expect(rotated.headers['cache-control']).toBe('no-store');
      expect(rotated.body).toEqual({ secret: expect.stringMatching(SECRET_SHAPE) });
      expect(rotated.body.secret).not.toBe(webhook.secret);

      await t.http().post(path(owner, `/${webhook.id}/test`)).set(owner.headers).expect(202);
      const [request] = await endpoint.waitFor(1);
      expect(String(request.headers['webhook-signature']).split(' ')).toEqual([expect.stringMatching(/^v1,/), expect.stringMatching(/^v1,/)]);
      expect(verified(rotated.body.secret, request).type).toBe('webhook.test');
      expect(verified(webhook.secret, request).type).toBe('webhook.test');
      // Our signatures are not accepted for any secret.
      expect(() => verified(`whsec_${Buffer.alloc(32, 9).toString('base64')}`, request)).toThrow();
    });

    it('refuses to sign with sealed secrets copied from another webhook’s row', async () => {
      const owner = await createCustomer(t);
      const endpoint = await receiver();
      const source = await createWebhook(owner, { url: endpoint.url, events: ['*'] });
      const target = await createWebhook(owner, { url: endpoint.url, events: ['*'] });
      await t.db.query(
        `UPDATE webhooks AS t SET secret_ciphertext = s.secret_ciphertext, secret_nonce = s.secret_nonce, wrapped_data_key = s.wrapped_data_key, key_id = s.key_id
           FROM webhooks AS s WHERE s.id = $1 AND t.id = $2`,
        [source.id, target.id],
      );
      await t.http().post(path(owner, `/${target.id}/test`)).set(owner.headers).expect(202);
      const list = await deliveriesWhen(owner, target.id, (rows) => rows[0]?.status === 'failed');
      expect(list[0]).toMatchObject({ response_status: null, error: 'the webhook secret did not open' });
      expect(endpoint.received).toHaveLength(0);
      expect(t.logLines.some((line) => line.includes('integrity failure: a webhook secret did not open'))).toBe(true);
    });
  });
});

