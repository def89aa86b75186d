import { Client } from 'pg';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { createTestDatabase } from '../support/database';
import { ServiceProcess } from '../support/service-process';
import { TEST_ADMIN_KEY } from '../support/test-app';
import { type Reply, WebhookReceiver } from '../support/webhook-receiver';

const ENV: NodeJS.ProcessEnv = {
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_RETRY_DELAYS_MS: '50',
  WEBHOOK_TIMEOUT_MS: '1000',
  WEBHOOK_LEASE_MS: '4000',
  LOG_LEVEL: 'warn',
};

async function post(service: ServiceProcess, path: string, headers: Record<string, string>, body: unknown): Promise<Record<string, string>> {
  const response = await fetch(`${service.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, string>;
}

describe('Webhook delivery across a crash (SIGKILL)', () => {
  let database: { url: string; drop(): Promise<void> };
  let sql: Client;
  const running: ServiceProcess[] = [];
  /** A service left running by the test before, polling every 20 ms, for the next to use. */
  let polling: ServiceProcess | undefined;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });
  afterAll(async () => {
    await Promise.all(running.map((service) => service.kill('SIGKILL')));
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await sql.end();
    await database.drop();
  });

  async function start(env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
    const service = await ServiceProcess.start({ ...ENV, ...env, DATABASE_URL: database.url });
    running.push(service);
    return service;
  }

  /** A customer with a webhook on a new receiver; the connection change is what the test makes. */
  async function subscribe(service: ServiceProcess, reply?: (index: number) => Reply) {
    const receiver = await WebhookReceiver.start(reply);
    receivers.push(receiver);
    const admin = { 'x-api-key': TEST_ADMIN_KEY };
    const customer = await post(service, '/v1/customers', admin, { name: 'crash' });
    const key = await post(service, `/v1/customers/${customer.id}/api-keys`, admin, {});
    const headers = { 'x-api-key': key.key };
    const webhook = await post(service, `/v1/customers/${customer.id}/webhooks`, headers, { url: receiver.url, events: ['connection.created'] });
    return { receiver, customerId: customer.id, headers, webhook };
  }

  /** The webhook's attempts once `done` holds of them (the outcome is written just after the answer). */
  async function attemptsWhen(webhookId: string, done: (rows: { status: string; attempt: number }[]) => boolean) {
    for (const deadline = Date.now() + 10_000; ; ) {
      const { rows } = await sql.query('SELECT status, attempt FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at, id', [webhookId]);
      if (done(rows) || Date.now() > deadline) return rows;
      await new Promise((resolveWait) => setTimeout(resolveWait, 25));
    }
  }

  function verify(secret: string, request: { body: string; headers: Record<string, unknown> }) {
    return new StandardWebhook(secret).verify(request.body, {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    }) as { type: string; data: { id: string } };
  }

  it('delivers an event committed just before the kill once the service is back', async () => {
    // Polling once a minute: the change commits and the process dies before any attempt.
    const service = await start({ WEBHOOK_POLL_INTERVAL_MS: '60000' });
    const { receiver, customerId, headers, webhook } = await subscribe(service);
    const connection = await post(service, `/v1/customers/${customerId}/connections`, headers, { provider: 'gmail', name: 'inbox', credentials: { access_token: 'crash-token' } });
    await service.kill('SIGKILL');
    expect(receiver.received).toHaveLength(0);
    const pending = await sql.query('SELECT status, attempt FROM webhook_deliveries WHERE webhook_id = $1', [webhook.id]);
    expect(pending.rows).toEqual([{ status: 'pending', attempt: 1 }]);

    polling = await start({ WEBHOOK_POLL_INTERVAL_MS: '20' });
    const [request] = await receiver.waitFor(1, 20_000);
    expect(verify(webhook.secret, request)).toMatchObject({ type: 'connection.created', data: { id: connection.id } });
    expect(request.body).not.toContain('crash-token');
    expect(await attemptsWhen(webhook.id, (rows) => rows[0]?.status === 'succeeded')).toEqual([{ status: 'succeeded', attempt: 1 }]);
  }, 90_000);

  it('takes over an attempt in flight when its process died, once its lease has passed, with the same webhook-id', async () => {
    let killed: Promise<void> | undefined;
    const service = polling ?? (await start({ WEBHOOK_POLL_INTERVAL_MS: '20' }));
    // The first request is held open, and the process sending it is killed meanwhile.
    const { receiver, customerId, headers, webhook } = await subscribe(service, (index) => {
      if (index === 0) {
        killed = service.kill('SIGKILL');
        return 'hang';
      }
      return { status: 200 };
    });
    await post(service, `/v1/customers/${customerId}/connections`, headers, { provider: 'gmail', name: 'inbox', credentials: { access_token: 'x' } });
    await receiver.waitFor(1, 20_000);
    await killed;

    await start({ WEBHOOK_POLL_INTERVAL_MS: '20' });
    const [first, second] = await receiver.waitFor(2, 20_000);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    // Not before the dead process's claim (4 s here, longer than a restart) had passed.
    expect(second.at - first.at).toBeGreaterThanOrEqual(3_900);
    expect(verify(webhook.secret, second).type).toBe('connection.created');
    expect(await attemptsWhen(webhook.id, (rows) => rows[0]?.status === 'succeeded')).toEqual([{ status: 'succeeded', attempt: 1 }]);
  }, 90_000);
});
