import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import type { CredentialSealer } from '../src/crypto/credential-sealer';
import { generateWebhookSecret, sealWebhookSecrets } from '../src/webhooks/webhook-secrets';

/**
 * The `webhooks` scenario: deliveries per second to a local receiver that answers at once (a database
 * of its own, so that no other bench service's delivery loop takes part), and the fetch with every
 * customer subscribed, which must cost nothing: the fetch writes no event, so no delivery.
 */
export const WEBHOOK_DATABASE = 'hydracore_bench_webhooks';

export class BenchWebhookReceiver {
  received = 0;
  private server!: Server;
  private waiting: { count: number; resolve: () => void } | undefined;

  static async start(): Promise<BenchWebhookReceiver> {
    const receiver = new BenchWebhookReceiver();
    receiver.server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        receiver.received++;
        response.writeHead(204).end();
        if (receiver.waiting && receiver.received >= receiver.waiting.count) receiver.waiting.resolve();
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** Resolves when `count` requests have arrived in all. */
  until(count: number): Promise<void> {
    if (this.received >= count) return Promise.resolve();
    return new Promise((resolve) => (this.waiting = { count, resolve }));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A customer with one webhook (every event) on the receiver, made through the API. */
export async function seedWebhookCustomer(serviceUrl: string, adminKey: string, receiverUrl: string): Promise<string> {
  const call = async (path: string, body: unknown, key = adminKey) => {
    const response = await fetch(`${serviceUrl}${path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, string>;
  };
  const customer = await call('/v1/customers', { name: 'webhook bench' });
  const key = (await call(`/v1/customers/${customer.id}/api-keys`, {})).key;
  await call(`/v1/customers/${customer.id}/webhooks`, { url: receiverUrl, events: ['*'] }, key);
  return customer.id;
}

/** `count` connection events of the customer, written as the outbox holds them: the trigger fans each out. */
export async function writeEvents(pool: Pool, customerId: string, count: number): Promise<void> {
  await pool.query(
    `INSERT INTO connection_events (id, customer_id, type, connection_id, data)
     SELECT gen_random_uuid(), $1, 'connection.updated', gen_random_uuid(), jsonb_build_object('n', n, 'status', 'active') FROM generate_series(1, $2::int) AS n`,
    [customerId, count],
  );
}

/** Delivery attempts of the customer's webhooks not yet succeeded. */
export async function deliveriesLeft(pool: Pool, customerId: string): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS left FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.customer_id = $1 AND d.status <> 'succeeded'`,
    [customerId],
  );
  return rows[0].left;
}

/**
 * A webhook for every customer, written by SQL with its secret sealed under the bench's key (its URL is
 * never called: nothing the fetch does makes an event). Returns how to remove them again.
 */
export async function subscribeEveryCustomer(pool: Pool, sealer: CredentialSealer): Promise<() => Promise<void>> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM customers');
  const ids: string[] = [];
  for (const { id: customerId } of rows) {
    const webhookId = randomUUID();
    const sealed = sealWebhookSecrets(sealer, { current: generateWebhookSecret() }, { webhookId, customerId });
    await pool.query(
      `INSERT INTO webhooks (id, customer_id, url, events, secret_ciphertext, secret_nonce, wrapped_data_key, key_id) VALUES ($1, $2, 'https://hooks.invalid/bench', '["*"]', $3, $4, $5, $6)`,
      [webhookId, customerId, sealed.secretCiphertext, sealed.secretNonce, sealed.wrappedDataKey, sealed.keyId],
    );
    ids.push(webhookId);
  }
  return async () => void (await pool.query('DELETE FROM webhooks WHERE id = ANY($1::uuid[])', [ids]));
}

/**
 * Rows of the outbox and of the delivery queue, to show the fetch adds none: all but those of
 * `exceptCustomerId`, the `oauth` scenario's customer, whose tokens keep coming due every second after
 * its scenario and are refreshed in the background.
 */
export async function outboxRows(pool: Pool, exceptCustomerId: string | null): Promise<{ events: number; deliveries: number }> {
  const { rows } = await pool.query(
    `SELECT (SELECT count(*) FROM connection_events WHERE customer_id IS DISTINCT FROM $1)::int AS events,
            (SELECT count(*) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.customer_id IS DISTINCT FROM $1)::int AS deliveries`,
    [exceptCustomerId],
  );
  return rows[0];
}
