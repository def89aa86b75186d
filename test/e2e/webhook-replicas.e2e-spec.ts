import { randomUUID } from 'node:crypto';
import { WebhookDeliveryLoop } from '../../src/webhooks/webhook-delivery-loop';
import { createCustomer } from '../support/factories';
import { TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

const REPLICA_ENV: NodeJS.ProcessEnv = {
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_POLL_INTERVAL_MS: '10',
  WEBHOOK_RETRY_DELAYS_MS: '60000',
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_LEASE_MS: '30000',
  WEBHOOK_CONCURRENCY: '8',
};
const EVENTS = 200;

describe('Webhook delivery by two replicas on one database', () => {
  let first: TestApp;
  let second: TestApp;
  let endpoint: WebhookReceiver;
  beforeAll(async () => {
    first = await TestApp.start(REPLICA_ENV);
    second = await first.replica(REPLICA_ENV);
    // A receiver that takes a few milliseconds, so both replicas have attempts in flight at once.
    endpoint = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await second.close();
    await first.close();
    await endpoint.close();
  });

  it(`delivers each of ${EVENTS} events exactly once, with no attempt made twice`, async () => {
    const customer = await createCustomer(first);
    const created = await first.http().post(`/v1/customers/${customer.id}/webhooks`).set(customer.headers).send({ url: endpoint.url, events: ['*'] }).expect(201);
    const webhookId: string = created.body.id;

    // Events as the outbox holds them, written in batches while both replicas poll.
    const connectionId = randomUUID();
    for (let batch = 0; batch < 10; batch++) {
      await first.db.query(
        `INSERT INTO connection_events (id, customer_id, type, connection_id, data)
         SELECT gen_random_uuid(), $1, 'connection.updated', $2::uuid, jsonb_build_object('id', $2::text, 'n', n) FROM generate_series($3::int, $4::int) AS n`,
        [customer.id, connectionId, batch * (EVENTS / 10), (batch + 1) * (EVENTS / 10) - 1],
      );
      await new Promise((resolve) => setTimeout(resolve, 15));
    }

    await endpoint.waitFor(EVENTS, 20_000);
    // Anything sent twice would arrive within this.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const messageIds = endpoint.received.map((request) => String(request.headers['webhook-id']));
    expect(endpoint.received.length).toBe(EVENTS);
    expect(new Set(messageIds).size).toBe(EVENTS);
    const numbers = endpoint.events().map((event) => event.data.n as number);
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: EVENTS }, (_, n) => n));

    const rows: { attempt: number; status: string }[] = await first.db.query('SELECT attempt, status FROM webhook_deliveries WHERE webhook_id = $1', [webhookId]);
    expect(rows).toHaveLength(EVENTS);
    expect(rows.every((row) => row.attempt === 1 && row.status === 'succeeded')).toBe(true);
    // Both replicas did part of the work: the claims competed.
    const made = [first, second].map((replica) => replica.app.get(WebhookDeliveryLoop).attemptsMade);
    expect(made[0] + made[1]).toBe(EVENTS);
    expect(Math.min(...made)).toBeGreaterThan(0);
  });
});
