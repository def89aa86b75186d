import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { findFreePort } from '../../src/database/embedded-postgres';
import { createTestDatabase } from '../support/database';
import { TEST_ADMIN_KEY, TEST_ENV } from '../support/test-app';

// Jest runs from the repository's root (its rootDir); tests run as ES modules, without __dirname.
const ROOT = process.cwd();
const PROVIDERS = 60;
/** A new provider is fetched for the first time every this many ms: the last ones' uses are still in memory at SIGTERM. */
const NEW_PROVIDER_EVERY_MS = 40;
const WORKERS = 16;

/** How one request ended: its status, or the error of a request refused before any byte of an answer. */
interface Outcome {
  provider: number;
  status?: number;
  error?: string;
  sentAfterSignal: boolean;
}

function call(agent: Agent, port: number, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent, headers: { ...headers, ...(payload && { 'content-type': 'application/json' }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      // A response cut after its head would be an error here: nothing of the kind is acceptable.
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function json(agent: Agent, port: number, method: string, path: string, headers: Record<string, string>, body?: unknown, expected = 201) {
  const response = await call(agent, port, method, path, headers, body);
  if (response.status !== expected) throw new Error(`${method} ${path}: ${response.status} ${response.body}`);
  return JSON.parse(response.body);
}

describe('SIGTERM under load (the real service process)', () => {
  let database: { url: string; drop(): Promise<void> };
  let service: ChildProcess;
  let output = '';

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    if (service && service.exitCode === null && service.signalCode === null) service.kill('SIGKILL');
    await database.drop();
  });

  it('turns /health/ready 503, finishes or refuses every request, flushes every recorded use, and exits 0 within 10 s', async () => {
    const port = await findFreePort();
    service = spawn(process.execPath, ['--require', join(ROOT, 'test/support/register-ts.cjs'), join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...TEST_ENV, DATABASE_URL: database.url, PORT: String(port), SHUTDOWN_DELAY_MS: '300' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => service.once('exit', (code) => resolve({ code, at: Date.now() })));

    const setup = new Agent({ keepAlive: true });
    for (const deadline = Date.now() + 30_000; ; ) {
      const ready = await call(setup, port, 'GET', '/health/ready', {}).catch(() => undefined);
      if (ready?.status === 200) break;
      if (Date.now() > deadline || service.exitCode !== null) throw new Error(`the service did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const admin = { 'x-api-key': TEST_ADMIN_KEY };
    const customer = await json(setup, port, 'POST', '/v1/customers', admin, { name: 'shutdown' });
    const instance = await json(setup, port, 'POST', `/v1/customers/${customer.id}/instances`, admin, { name: 'agent' });
    const connectionIds: string[] = [];
    for (let provider = 0; provider < PROVIDERS; provider++) {
      const connection = await json(setup, port, 'POST', `/v1/customers/${customer.id}/connections`, admin, { provider: `p${provider}`, name: 'main', credentials: { token: `t${provider}` } });
      await json(setup, port, 'POST', `/v1/customers/${customer.id}/connections/${connection.id}/grants`, admin, { instance_id: instance.id, capabilities: [] });
      connectionIds.push(connection.id);
    }
    setup.destroy();

    // Keep-alive load: each worker fetches as fast as it can, a provider more every NEW_PROVIDER_EVERY_MS.
    const load = new Agent({ keepAlive: true, maxSockets: WORKERS });
    const outcomes: Outcome[] = [];
    const started = Date.now();
    let signalledAt = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const provider = Math.min(PROVIDERS - 1, Math.floor((Date.now() - started) / NEW_PROVIDER_EVERY_MS));
        const sentAfterSignal = signalledAt !== 0;
        try {
          const response = await call(load, port, 'GET', `/internal/v1/instances/${instance.id}/connections?provider=p${provider}`, { authorization: `Bearer ${instance.proxy_key}` });
          outcomes.push({ provider, status: response.status, sentAfterSignal });
        } catch (error) {
          outcomes.push({ provider, error: (error as NodeJS.ErrnoException).code ?? (error as Error).message, sentAfterSignal });
          // Refused: the server is gone; the next attempt would be refused too.
          if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') return;
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, () => worker());
    // Readiness on a connection of its own, through the shutdown.
    const probe = new Agent({ keepAlive: false });
    const probes: (number | string)[] = [];
    const probing = (async () => {
      while (!stop) {
        probes.push(await call(probe, port, 'GET', '/health/ready', {}).then((response) => response.status, (error: NodeJS.ErrnoException) => error.code ?? 'error'));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, (PROVIDERS - 10) * NEW_PROVIDER_EVERY_MS));
    const probesBefore = probes.length;
    signalledAt = Date.now();
    service.kill('SIGTERM');
    const { code, at } = await exited;
    stop = true;
    await Promise.all([...workers, probing]);
    load.destroy();

    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(at - signalledAt).toBeLessThan(10_000);

    // Before the signal every probe was 200; after it, 503 while it drained, then refused.
    expect(probes.slice(0, probesBefore).every((status) => status === 200)).toBe(true);
    const after = probes.slice(probesBefore + 1);
    expect(after).toContain(503);
    expect(after.every((status) => status === 503 || status === 'ECONNREFUSED' || status === 'ECONNRESET')).toBe(true);

    // Every fetch either completed normally or was refused before any byte of an answer.
    const refused = outcomes.filter((outcome) => outcome.error !== undefined);
    expect(outcomes.filter((outcome) => outcome.status !== undefined && outcome.status !== 200)).toEqual([]);
    expect(refused.filter((outcome) => !['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(outcome.error!))).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.status === 200 && outcome.sentAfterSignal).length).toBeGreaterThan(0);
    expect(outcomes.filter((outcome) => outcome.status === 200).length).toBeGreaterThan(100);

    // No recorded use is lost: every connection fetched with a 200 has its last_used_at.
    const fetched = new Set(outcomes.filter((outcome) => outcome.status === 200).map((outcome) => connectionIds[outcome.provider]));
    expect(fetched.size).toBeGreaterThan(20);
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ connection_id: string }>('SELECT connection_id FROM connection_last_uses WHERE last_used_at IS NOT NULL');
      const used = new Set(rows.map((row) => row.connection_id));
      expect([...fetched].filter((id) => !used.has(id))).toEqual([]);
    } finally {
      await client.end();
    }
  }, 60_000);
});
