import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request had been read. */
  at: number;
}

/** What the receiver does with its n-th request (0-based): answer with a status (and body), or never answer. */
export type Reply = { status: number; body?: string | Buffer; headers?: Record<string, string> } | 'hang';

/** A webhook endpoint on loopback: records every request, answers as the test says (200 by default). */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private waiters: (() => void)[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(reply: (index: number, request: ReceivedWebhook) => Reply = () => ({ status: 200 })): Promise<WebhookReceiver> {
    let receiver!: WebhookReceiver;
    const server = createServer((request, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        const index = receiver.received.push(received) - 1;
        for (const wake of receiver.waiters.splice(0)) wake();
        const answer = reply(index, received);
        if (answer === 'hang') return;
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`);
    return receiver;
  }

  /** Resolves once `count` requests have arrived; fails after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} webhook requests within ${timeoutMs} ms, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    return this.received.slice(0, count);
  }

  /** The received bodies, parsed. */
  events(): { type: string; timestamp: string; data: Record<string, unknown> }[] {
    return this.received.map((request) => JSON.parse(request.body));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
