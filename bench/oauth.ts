import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type autocannon from 'autocannon';
import type { Pool } from 'pg';

/**
 * The `oauth` scenario: fetches of connections whose tokens keep coming due, against a local token
 * endpoint that answers at once, rotates refresh tokens and refuses a reused one (`invalid_grant`).
 * Each token lives `TOKEN_LIFETIME_S`; the service refreshes within 1 s of expiry, so every connection
 * comes due about once a second while the fetches run.
 */
export const TOKEN_LIFETIME_S = 2;
const CONNECTIONS = 50;

export class BenchTokenServer {
  calls = 0;
  refused = 0;
  private readonly valid = new Set<string>();
  private issued = 0;
  private server!: Server;

  static async start(): Promise<BenchTokenServer> {
    const tokens = new BenchTokenServer();
    tokens.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        tokens.calls++;
        const refreshToken = new URLSearchParams(Buffer.concat(chunks).toString()).get('refresh_token') ?? '';
        if (!tokens.valid.delete(refreshToken)) {
          tokens.refused++;
          response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
          return;
        }
        const body = { access_token: `at-${++tokens.issued}`, refresh_token: tokens.issue(), expires_in: TOKEN_LIFETIME_S, token_type: 'Bearer' };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => tokens.server.listen(0, '127.0.0.1', resolve));
    return tokens;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
  }

  issue(): string {
    const token = `rt-${++this.issued}`;
    this.valid.add(token);
    return token;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A customer with an app on the local token endpoint and `CONNECTIONS` oauth2 connections, each granted to an instance of its own. */
export async function seedOAuthCustomer(serviceUrl: string, adminKey: string, tokens: BenchTokenServer): Promise<{ fetches: autocannon.Request[]; customerId: string }> {
  const call = async (path: string, body: unknown, key = adminKey) => {
    const response = await fetch(`${serviceUrl}${path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, string>;
  };
  const customer = await call('/v1/customers', { name: 'oauth bench' });
  const key = (await call(`/v1/customers/${customer.id}/api-keys`, {})).key;
  await call(`/v1/customers/${customer.id}/oauth-apps`, { provider: 'oauthbench', client_id: 'bench', client_secret: 'bench-secret', token_url: tokens.url }, key);
  const instances: { id: string; proxyKey: string }[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const connection = await call(
      `/v1/customers/${customer.id}/connections`,
      { provider: 'oauthbench', name: `c${i}`, credentials: { access_token: 'first', refresh_token: tokens.issue(), expires_in: TOKEN_LIFETIME_S } },
      key,
    );
    const instance = await call(`/v1/customers/${customer.id}/instances`, { name: `i${i}` }, key);
    await call(`/v1/customers/${customer.id}/connections/${connection.id}/grants`, { instance_id: instance.id, capabilities: ['read'] }, key);
    instances.push({ id: instance.id, proxyKey: instance.proxy_key });
  }
  const fetches: autocannon.Request[] = [
    {
      method: 'GET',
      setupRequest: (request: autocannon.Request) => {
        const instance = instances[Math.floor(Math.random() * instances.length)];
        return { ...request, path: `/internal/v1/instances/${instance.id}/connections?provider=oauthbench&capability=read`, headers: { authorization: `Bearer ${instance.proxyKey}` } };
      },
    },
  ];
  return { fetches, customerId: customer.id };
}

/** Refreshes written so far for the customer's connections (each bumps the credentials' version once). */
export async function refreshesWritten(pool: Pool, customerId: string): Promise<number> {
  const { rows } = await pool.query('SELECT COALESCE(sum(credentials_version), 0)::int AS refreshes FROM connections WHERE customer_id = $1', [customerId]);
  return rows[0].refreshes;
}
