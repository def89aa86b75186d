import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Client, createClient, createConfig } from '../../sdk/typescript/src/client/index.js';
import {
  createApiKey,
  createConnection,
  createCustomer,
  createGrant,
  createInstance,
  createOAuthApp,
  createWebhook,
  fetchConnectionCredentials,
  listAuditEvents,
  listConnections,
} from '../../sdk/typescript/src/index.js';
import { TEST_ADMIN_KEY, TestApp } from '../support/test-app';

const ROOT = process.cwd();
const SDK_SOURCES = resolve(ROOT, 'sdk/typescript/src');

/** Every file under `dir`, by its path relative to it, with its text. */
function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

describe('sdk/typescript', () => {
  it('is what `npm run sdk` generates from the committed openapi.json (run it after an API change)', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'hydracore-sdk-'));
    try {
      await promisify(execFile)(resolve(ROOT, 'node_modules/.bin/openapi-ts'), ['-f', 'sdk/typescript/openapi-ts.config.mjs', '-o', scratch, '-s'], { cwd: ROOT });
      const generated = filesUnder(scratch);
      expect(Object.keys(generated)).toContain('sdk.gen.ts');
      expect(filesUnder(SDK_SOURCES)).toEqual(generated);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

/**
 * The README's quick start, step by step, through the SDK against the service listening on a port:
 * each step is an `it` that reads and adds to `made`, so a new step (an OAuth app, the audit list, a
 * webhook) is one more `it` at the end.
 */
describe('The quick start through the SDK', () => {
  let t: TestApp;
  let baseUrl: string;
  /** What the steps made so far. */
  const made: { customerId?: string; apiKey?: string; instanceId?: string; proxyKey?: string; connectionId?: string; grantId?: string } = {};

  /** A client that presents `key` in X-Api-Key (an admin or customer API key). */
  const withApiKey = (key: string): Client => createClient(createConfig({ baseUrl, auth: (scheme) => (scheme.type === 'apiKey' ? key : undefined) }));
  /** A client that presents `key` as `Authorization: Bearer` (a proxy key). */
  const withBearer = (key: string): Client => createClient(createConfig({ baseUrl, auth: (scheme) => (scheme.scheme === 'bearer' ? key : undefined) }));
  const admin = () => withApiKey(TEST_ADMIN_KEY);
  const customer = () => withApiKey(made.apiKey!);
  const instance = () => withBearer(made.proxyKey!);

  beforeAll(async () => {
    t = await TestApp.start();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
  });
  afterAll(() => t.close());

  it('the admin creates a customer', async () => {
    const { data } = await createCustomer({ client: admin(), body: { name: 'Acme' }, throwOnError: true });
    expect(data).toEqual({ id: expect.any(String), name: 'Acme', created_at: expect.any(String) });
    made.customerId = data.id;
  });

  it('the admin creates the customer’s API key, shown once', async () => {
    const { data } = await createApiKey({ client: admin(), path: { customer_id: made.customerId! }, body: { name: 'quick start' }, throwOnError: true });
    expect(data.key).toMatch(/^hck_/);
    made.apiKey = data.key;
  });

  it('the customer registers an instance, and gets its proxy key once', async () => {
    const { data, response } = await createInstance({ client: customer(), path: { customer_id: made.customerId! }, body: { name: 'mail-agent' }, throwOnError: true });
    expect(data).toMatchObject({ customer_id: made.customerId, name: 'mail-agent', proxy_key: expect.stringMatching(/^hcp_/) });
    expect(response.headers.get('cache-control')).toBe('no-store');
    [made.instanceId, made.proxyKey] = [data.id, data.proxy_key];
  });

  it('the customer stores a connection: its credentials are never shown again', async () => {
    const { data } = await createConnection({
      client: customer(),
      path: { customer_id: made.customerId! },
      body: { provider: 'gmail', name: 'admin@acme.test', credentials: { access_token: 'ya29.example', expires_in: 3600 } },
      throwOnError: true,
    });
    expect(data).toMatchObject({ provider: 'gmail', name: 'admin@acme.test', auth_type: 'oauth2', status: 'active', grants: [] });
    expect(JSON.stringify(data)).not.toContain('ya29.example');
    made.connectionId = data.id;
  });

  it('the customer grants the connection to the instance, with a capability', async () => {
    const { data } = await createGrant({
      client: customer(),
      path: { customer_id: made.customerId!, connection_id: made.connectionId! },
      body: { instance_id: made.instanceId!, capabilities: ['send_mail'] },
      throwOnError: true,
    });
    expect(data).toMatchObject({ connection_id: made.connectionId, instance_id: made.instanceId, capabilities: ['send_mail'] });
    made.grantId = data.id;
  });

  it('the instance fetches the credentials with its proxy key', async () => {
    const { data, response } = await fetchConnectionCredentials({
      client: instance(),
      path: { instance_id: made.instanceId! },
      query: { provider: 'gmail', capability: 'send_mail' },
      throwOnError: true,
    });
    expect(data).toMatchObject({ credentials: { access_token: 'ya29.example', expires_in: 3600 }, capabilities: ['send_mail'], connection_id: made.connectionId });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('asking for a capability the grant lacks is a 403, as the SDK’s typed error', async () => {
    const { error, response } = await fetchConnectionCredentials({
      client: instance(),
      path: { instance_id: made.instanceId! },
      query: { provider: 'gmail', capability: 'delete_mail' },
    });
    expect(response?.status).toBe(403);
    expect(error).toEqual({ detail: expect.any(String) });
  });

  it('the customer sees the connection with its grant, never its credentials', async () => {
    const { data } = await listConnections({ client: customer(), path: { customer_id: made.customerId! }, throwOnError: true });
    expect(data.total).toBe(1);
    expect(data.connections[0]).toMatchObject({ id: made.connectionId, grants: [expect.objectContaining({ id: made.grantId, capabilities: ['send_mail'] })] });
    expect(JSON.stringify(data)).not.toContain('ya29.example');
  });

  it('the customer registers the OAuth app that keeps its gmail connections alive: the secret is never shown', async () => {
    const { data } = await createOAuthApp({
      client: customer(),
      path: { customer_id: made.customerId! },
      body: { provider: 'gmail', client_id: 'acme-client.apps.googleusercontent.com', client_secret: 'GOCSPX-quick-start' },
      throwOnError: true,
    });
    expect(data).toMatchObject({ provider: 'gmail', token_url: 'https://oauth2.googleapis.com/token', auth_method: 'client_secret_basic' });
    expect(JSON.stringify(data)).not.toContain('GOCSPX-quick-start');
  });

  it('the customer reads who read what: the audit trail, oldest first', async () => {
    const { data } = await listAuditEvents({ client: customer(), path: { customer_id: made.customerId! }, throwOnError: true });
    expect(data.audit_events.map((event) => [event.action, event.outcome])).toEqual([
      ['customer.create', 'success'],
      ['api_key.create', 'success'],
      ['instance.create', 'success'],
      ['connection.create', 'success'],
      ['grant.create', 'success'],
      ['credentials.read', 'success'],
      ['credentials.read', 'denied'],
      ['oauth_app.create', 'success'],
    ]);
    expect(data.audit_events[5]).toMatchObject({ actor: { kind: 'instance', id: made.instanceId }, connection_id: made.connectionId, capability: 'send_mail', status: 200 });
  });

  it('the customer subscribes a webhook to its connections\u2019 events: its signing secret is shown once', async () => {
    const { data, response } = await createWebhook({
      client: customer(),
      path: { customer_id: made.customerId! },
      // A public address written as such: the outbound rule needs no name resolved.
      body: { url: 'https://93.184.216.34/hooks/hydracore', events: ['connection.revoked', 'connection.refresh_failed'], description: 'quick start' },
      throwOnError: true,
    });
    expect(data).toMatchObject({ url: 'https://93.184.216.34/hooks/hydracore', events: ['connection.revoked', 'connection.refresh_failed'], enabled: true });
    expect(data.secret).toMatch(/^whsec_/);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});
