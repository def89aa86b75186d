import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { Client, Pool } from 'pg';
import { CredentialSealer, KeyRing } from '../src/crypto/credential-sealer';
import { connectEmbeddedPostgres, findFreePort } from '../src/database/embedded-postgres';
import { runPendingMigrations } from '../src/database/migrate';
import { BenchTokenServer, refreshesWritten, seedOAuthCustomer, TOKEN_LIFETIME_S } from './oauth';
import { BenchWebhookReceiver, deliveriesLeft, outboxRows, seedWebhookCustomer, subscribeEveryCustomer, WEBHOOK_DATABASE, writeEvents } from './webhooks';
import { seedCustomers, type SeededInstance, type SeedShape } from './seed';

/**
 * `npm run bench`: two freshly seeded databases (`hydracore_bench` with 10,000 connections and
 * `hydracore_bench_1m` with 1,000,000), each with its own service in production mode and floor,
 * driven by autocannon from this process, the datasets in turn. Env:
 * - DATABASE_URL (else the embedded PostgreSQL of `.data/postgres`);
 * - BENCH_DURATION seconds per run (default 10), BENCH_CONNECTIONS (default 32);
 * - BENCH_FETCH_ROUNDS alternating rounds of the floors and the service (default 4);
 * - BENCH_LARGE=0 to skip the 1,000,000-connection database;
 * - BENCH_SCENARIOS to run only some of health, fetch, cpu, list, create, adapters, oauth, metrics and webhooks;
 * - BENCH_FIXED_RATE requests per second offered in the fetch's CPU runs (default 500), over BENCH_FIXED_RATE_CONNECTIONS (default 8);
 * - BENCH_PROFILE=1 to write CPU profiles of the servers (`--cpu-prof`, into .data/profiles/);
 * - BENCH_SERVICE_NODE_FLAGS to start the service and the floor with other Node flags.
 */
const ROOT = resolve(__dirname, '..', '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const LARGE = process.env.BENCH_LARGE !== '0';
/**
 * Rounds of the fetch, each the floor, the audited floor and the service in turn: on the 2-vCPU host a
 * round's service/floor ratio ranged from 0.37 to 0.61 within minutes, so the figures are the mean of several.
 */
const FETCH_ROUNDS = Number(process.env.BENCH_FETCH_ROUNDS ?? 4);
const PROFILE = process.env.BENCH_PROFILE === '1';
/** Which scenarios run (BENCH_SCENARIOS=fetch,list for instance): all of them by default. */
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'health,fetch,cpu,list,create,adapters,oauth,metrics,webhooks').split(',').map((name) => name.trim()));
/** The request rate of the CPU-per-request runs: well under what either server can take. */
const FIXED_RATE = Number(process.env.BENCH_FIXED_RATE ?? 500);
const FIXED_RATE_CONNECTIONS = Number(process.env.BENCH_FIXED_RATE_CONNECTIONS ?? 8);
const BENCH_DATABASE = 'hydracore_bench';
/**
 * The service runs with the Node flags of `npm run start:prod` (read from package.json), and the floor
 * with the same, so that their ratio is the framework's and the code's, not the flags'.
 * BENCH_SERVICE_NODE_FLAGS tries others, on both.
 */
const SERVER_NODE_FLAGS = process.env.BENCH_SERVICE_NODE_FLAGS?.split(' ').filter(Boolean) ?? startFlags();

function startFlags(): string[] {
  const script: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
  return script.split(' ').filter((word) => word.startsWith('--'));
}

interface Row {
  dataset: string;
  scenario: string;
  /** Server process CPU per request; at a fixed rate (the fetch's CPU runs) steadier than req/s here. */
  cpu_us_per_request?: number;
  /** CPU of every local `postgres` process per request, same runs (0 when the database is elsewhere). */
  postgres_cpu_us_per_request?: number;
  requests_per_s: number;
  /** CPU of this process (autocannon) per request: the load generator's share of the two cores. */
  driver_cpu_us_per_request?: number;
  p50_ms: number | null;
  p99_ms: number | null;
  errors: number;
  non_2xx: number;
  service_rss_mib: number | null;
}

/** One database and the servers on it: the service, the floor and the service that keeps no pages. */
interface Dataset {
  name: string;
  /** The fetch of a random seeded instance (see `fetchRequests`). */
  fetches: autocannon.Request[];
  service: Running;
  floor: Running;
  /** The floor that also inserts each fetch's audit event in its one statement: the limit for a strict audit. */
  auditedFloor: Running;
  /** The same service keeping no pages (CONNECTION_PAGE_CACHE_MIB=0): what a page costs when it is read anew. */
  uncached: Running;
  /** A customer of its own, for the creates. */
  writer: { customerId: string; apiKey: string };
  /** The customer whose first page of 100 connections is listed. */
  lister: { customerId: string; apiKey: string; label: string };
  /** The floor's fetch in a bare Nest app on each platform adapter (`adapters.ts`), on the first dataset. */
  adapters?: { fastify: Running; express: Running };
  /** The `oauth` scenario, on the first dataset: a service allowed to call the local token endpoint, and its connections. */
  oauth?: { service: Running; tokens: BenchTokenServer; fetches: autocannon.Request[]; customerId: string; pool: Pool };
  /** The same service with METRICS_ENABLED=false, on the first dataset: what recording metrics costs the fetch. */
  withoutMetrics?: Running;
  /** The `webhooks` scenario, on the first dataset: its pool (to subscribe every customer), and a service on a database of its own delivering to a local receiver. */
  webhooks?: { pool: Pool; sealer: CredentialSealer; service: Running; receiver: BenchWebhookReceiver; deliveryPool: Pool; customerId: string };
}

/** The platform adapters compared on the first dataset, by their scenario names. */
const ADAPTERS = [
  ['fastify', 'Nest on fastify'],
  ['express', 'Nest on express'],
] as const;

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL ? undefined : await connectEmbeddedPostgres(join(ROOT, '.data', 'postgres'));
  const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
  const masterKey = { id: 'bench', key: randomBytes(32) };
  const sealer = new CredentialSealer(new KeyRing(masterKey, []));
  const adminKey = randomBytes(32).toString('base64url');
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    ENCRYPTION_KEY: masterKey.key.toString('base64'),
    ENCRYPTION_KEY_ID: masterKey.id,
    ENCRYPTION_PREVIOUS_KEYS: '',
    ADMIN_API_KEY: adminKey,
    LOG_LEVEL: 'info',
    // The oauth scenario's token endpoint is on loopback, and every service on its database refreshes in the background.
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
  };

  const pools: Pool[] = [];
  const running: Running[] = [];
  const rows: Row[] = [];
  try {
    // Every database is seeded before any is settled, and the smallest is settled last, so that
    // seeding the million does not push the 10k database out of shared buffers before it is measured.
    const seed = async (name: string, database: string, shapes: [SeedShape, string][], listed: string) => {
      const databaseUrl = await recreateDatabase(serverUrl, database);
      await runPendingMigrations(databaseUrl);
      const pool = new Pool({ connectionString: databaseUrl, max: 4 });
      pools.push(pool);
      const started = Date.now();
      const seeded = [];
      for (const [shape, label] of shapes) seeded.push(await seedCustomers(pool, sealer, shape, label));
      const [{ connections, instances, grants }] = (
        await pool.query('SELECT (SELECT count(*) FROM connections)::int AS connections, (SELECT count(*) FROM instances)::int AS instances, (SELECT count(*) FROM grants)::int AS grants')
      ).rows;
      log(`${name}: seeded ${connections.toLocaleString('en')} connections, ${instances.toLocaleString('en')} instances, ${grants.toLocaleString('en')} grants in ${seconds(started)} s`);
      return { name, databaseUrl, pool, seeded, listed };
    };
    const seededDatabases = [
      await seed('10k connections', BENCH_DATABASE, [[{ customers: 100, connectionsPerCustomer: 100, instancesPerCustomer: 10, grantsPerInstance: 5 }, 'small']], 'list page of 100'),
    ];
    if (LARGE) {
      seededDatabases.push(
        await seed(
          '1M connections',
          `${BENCH_DATABASE}_1m`,
          [
            [{ customers: 1, connectionsPerCustomer: 100_000, instancesPerCustomer: 10, grantsPerInstance: 5 }, 'big'],
            [{ customers: 9_000, connectionsPerCustomer: 100, instancesPerCustomer: 10, grantsPerInstance: 5 }, 'large'],
          ],
          'list page of 100 (100k)',
        ),
      );
    }
    for (const { pool } of [...seededDatabases].reverse()) await settle(pool);

    const datasets: Dataset[] = [];
    for (const { name, databaseUrl, seeded, listed } of seededDatabases) {
      const start = async (script: string, extra: NodeJS.ProcessEnv = {}) => {
        const server = await startServer(script, { ...env, DATABASE_URL: databaseUrl, ...extra });
        running.push(server);
        return server;
      };
      const service = await start('dist/src/main.js');
      // The adapters are compared on the first (smallest) dataset only: the size is not theirs to show.
      const comparesAdapters = SCENARIOS.has('adapters') && datasets.length === 0;
      const oauth = SCENARIOS.has('oauth') && datasets.length === 0 ? await startOAuth(start, seededDatabases[0].pool, adminKey) : undefined;
      const comparesMetrics = SCENARIOS.has('metrics') && datasets.length === 0;
      const webhooks =
        SCENARIOS.has('webhooks') && datasets.length === 0
          ? { pool: seededDatabases[0].pool, sealer, ...(await startWebhooks(serverUrl, (extra) => startServer('dist/src/main.js', { ...env, ...extra }).then((server) => (running.push(server), server)), pools, adminKey)) }
          : undefined;
      datasets.push({
        name,
        oauth,
        webhooks,
        fetches: fetchRequests(seeded.flatMap((result) => result.instances)),
        service,
        floor: await start('dist/bench/floor.js'),
        auditedFloor: await start('dist/bench/floor.js', { FLOOR_AUDIT: '1' }),
        uncached: await start('dist/src/main.js', { CONNECTION_PAGE_CACHE_MIB: '0' }),
        writer: await createWriterCustomer(service.url, adminKey),
        lister: { customerId: seeded[0].customerIds[0], apiKey: await createApiKey(service.url, adminKey, seeded[0].customerIds[0]), label: listed },
        ...(comparesAdapters && {
          adapters: { fastify: await start('dist/bench/adapters.js', { ADAPTER: 'fastify' }), express: await start('dist/bench/adapters.js', { ADAPTER: 'express' }) },
        }),
        ...(comparesMetrics && { withoutMetrics: await start('dist/src/main.js', { METRICS_ENABLED: 'false' }) }),
      });
    }
    rows.push(...(await measure(datasets)));
  } finally {
    await tokenServers.pop()?.close();
    await webhookReceivers.pop()?.close();
    // The servers end their own connections first: PostgreSQL stopping under them is an error in each.
    await Promise.all(running.map((server) => stopServer(server.process)));
    await Promise.all(pools.map((pool) => pool.end()));
    await embedded?.stop();
  }
  report(rows);
}

const tokenServers: BenchTokenServer[] = [];

/** The service of the `oauth` scenario: refreshing within 1 s of expiry. */
async function startOAuth(start: (script: string, extra?: NodeJS.ProcessEnv) => Promise<Running>, pool: Pool, adminKey: string): Promise<Dataset['oauth']> {
  const tokens = await BenchTokenServer.start();
  tokenServers.push(tokens);
  const service = await start('dist/src/main.js', { OAUTH_REFRESH_SKEW_SECONDS: '1', OAUTH_REFRESH_AHEAD_SECONDS: '0' });
  const seeded = await seedOAuthCustomer(service.url, adminKey, tokens);
  return { service, tokens, pool, ...seeded };
}

const webhookReceivers: BenchWebhookReceiver[] = [];

/** The delivering service of the `webhooks` scenario, on a database of its own, allowed to reach the receiver on loopback. */
async function startWebhooks(
  serverUrl: string,
  start: (extra: NodeJS.ProcessEnv) => Promise<Running>,
  pools: Pool[],
  adminKey: string,
): Promise<Pick<NonNullable<Dataset['webhooks']>, 'service' | 'receiver' | 'deliveryPool' | 'customerId'>> {
  const databaseUrl = await recreateDatabase(serverUrl, WEBHOOK_DATABASE);
  await runPendingMigrations(databaseUrl);
  const deliveryPool = new Pool({ connectionString: databaseUrl, max: 2 });
  pools.push(deliveryPool);
  const receiver = await BenchWebhookReceiver.start();
  webhookReceivers.push(receiver);
  const service = await start({ DATABASE_URL: databaseUrl, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' });
  return { service, receiver, deliveryPool, customerId: await seedWebhookCustomer(service.url, adminKey, receiver.url) };
}

/**
 * After a bulk load, the state a database serving this traffic has long been in: vacuumed, analyzed,
 * checkpointed, and its tables and indexes in shared buffers (bulk inserts and VACUUM go through a
 * small ring of buffers and leave them cold). Without this the figures measure autovacuum, the
 * checkpointer and the warm-up.
 */
async function settle(pool: Pool): Promise<void> {
  await pool.query('VACUUM (ANALYZE)');
  await pool.query('CHECKPOINT');
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
    await pool.query(`SELECT pg_prewarm(c.oid::regclass) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')`);
  } catch (error) {
    log(`could not prewarm (${error instanceof Error ? error.message : String(error)}): the first runs will warm the cache`);
  }
}

interface Running {
  process: ChildProcess;
  url: string;
}

async function startServer(script: string, env: NodeJS.ProcessEnv): Promise<Running> {
  const port = await findFreePort();
  const kind = script.includes('main') ? 'service' : script.includes('adapters') ? `nest-${env.ADAPTER}` : 'floor';
  const execArgv = [...SERVER_NODE_FLAGS, ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, '.data', 'profiles')}`, `--cpu-prof-name=${kind}-${Date.now()}.cpuprofile`] : [])];
  const child = fork(join(ROOT, script), { cwd: ROOT, env: { ...env, PORT: String(port) }, execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) return { process: child, url };
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  throw new Error(`${script} did not start`);
}

/** SIGTERM, then at most 10 s for the process to close its server and its connections (SIGKILL after). */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The scenarios, each on every dataset in turn. The fetch alternates floor and service, and the
 * datasets, twice: drift on a noisy machine then falls on both servers and both sizes alike, and
 * the 1M/10k ratio compares runs minutes apart at most, not a phase before the million's seeding
 * with one after it.
 */
async function measure(datasets: Dataset[]): Promise<Row[]> {
  const rows: Row[] = [];
  const run = async (dataset: Dataset, scenario: string, target: Running, requests: autocannon.Request[], watchRss: boolean) => {
    await load(target.url, requests, Math.min(3, DURATION), CONNECTIONS); // warm-up: JIT, plans, pools
    const rss = watchRss ? watchMemory(target.process.pid!) : undefined;
    const cpu = cpuMeter(target.process.pid!);
    const result = await load(target.url, requests, DURATION, CONNECTIONS);
    const row: Row = {
      dataset: dataset.name,
      scenario,
      requests_per_s: Math.round(result.requests.average),
      ...cpu.perRequest(result.requests.total),
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      errors: result.errors + result.timeouts,
      non_2xx: result.non2xx,
      service_rss_mib: rss ? rss.stop() : null,
    };
    log(`${row.dataset.padEnd(16)} ${scenario.padEnd(30)} ${String(row.requests_per_s).padStart(7)} req/s  p50 ${row.p50_ms} ms  p99 ${row.p99_ms} ms  errors ${row.errors}  non-2xx ${row.non_2xx}  CPU µs/req: server ${row.cpu_us_per_request}, PostgreSQL ${row.postgres_cpu_us_per_request}, autocannon ${row.driver_cpu_us_per_request}`);
    rows.push(row);
  };

  if (SCENARIOS.has('health')) for (const dataset of datasets) await run(dataset, 'health/live (baseline)', dataset.service, [{ method: 'GET', path: '/health/live' }], false);
  for (const round of SCENARIOS.has('fetch') ? Array.from({ length: FETCH_ROUNDS }, (_, index) => index + 1) : []) {
    for (const dataset of datasets) {
      await run(dataset, `floor fetch #${round}`, dataset.floor, dataset.fetches, false);
      await run(dataset, `audited floor fetch #${round}`, dataset.auditedFloor, dataset.fetches, false);
      await run(dataset, `service fetch #${round}`, dataset.service, dataset.fetches, true);
    }
  }
  for (const dataset of SCENARIOS.has('cpu') ? datasets : []) {
    for (const [scenario, target] of [['floor fetch CPU at fixed rate', dataset.floor], ['service fetch CPU at fixed rate', dataset.service]] as const) {
      const meter = cpuMeter(target.process.pid!);
      const result = await load(target.url, dataset.fetches, DURATION, FIXED_RATE_CONNECTIONS, FIXED_RATE);
      const { cpu_us_per_request: cpu, postgres_cpu_us_per_request: postgresCpu } = meter.perRequest(result.requests.total);
      log(`${dataset.name.padEnd(16)} ${scenario.padEnd(30)} ${FIXED_RATE} req/s offered, ${Math.round(result.requests.average)} served: ${cpu} µs of server CPU and ${postgresCpu} µs of PostgreSQL CPU per request`);
      // Latencies of a paced run say how autocannon paces, not how the server answers: left out.
      rows.push({ dataset: dataset.name, scenario, cpu_us_per_request: cpu, postgres_cpu_us_per_request: postgresCpu, requests_per_s: Math.round(result.requests.average), p50_ms: null, p99_ms: null, errors: result.errors + result.timeouts, non_2xx: result.non2xx, service_rss_mib: null });
    }
  }
  // The platform adapter: the floor's fetch in a bare Nest app on fastify and on express, alternating
  // with the floor, twice. What remains of the service's distance to the floor is then its own.
  for (const round of datasets[0].adapters ? [1, 2] : []) {
    const dataset = datasets[0];
    await run(dataset, `adapters: floor #${round}`, dataset.floor, dataset.fetches, false);
    for (const [adapter, label] of ADAPTERS) await run(dataset, `adapters: ${label} #${round}`, dataset.adapters![adapter], dataset.fetches, false);
  }
  // Tokens coming due all the time, next to the plain fetch on the same service: each expiry must cost exactly one token call.
  const oauth = datasets[0].oauth;
  if (oauth) {
    const dataset = datasets[0];
    await run(dataset, 'oauth: plain fetch', oauth.service, dataset.fetches, false);
    const [callsBefore, refreshesBefore, refusedBefore] = [oauth.tokens.calls, await refreshesWritten(oauth.pool, oauth.customerId), oauth.tokens.refused];
    await run(dataset, `oauth: fetch, tokens due every ${TOKEN_LIFETIME_S - 1} s`, oauth.service, oauth.fetches, false);
    // Refreshes in flight when the load stopped end before the counts are read.
    await new Promise((resolveWait) => setTimeout(resolveWait, 3_000));
    const calls = oauth.tokens.calls - callsBefore;
    const refreshes = (await refreshesWritten(oauth.pool, oauth.customerId)) - refreshesBefore;
    const refused = oauth.tokens.refused - refusedBefore;
    log(`oauth: ${calls} token calls, ${refreshes} refreshes written, ${refused} refused: ${(calls / Math.max(refreshes, 1)).toFixed(2)} calls per expiry`);
    const { rows: states } = await oauth.pool.query('SELECT status, error_message, count(*)::int AS n FROM connections WHERE customer_id = $1 GROUP BY 1, 2', [oauth.customerId]);
    log(`oauth: connections by status after the run: ${JSON.stringify(states)}`);
    oauthSummary = { token_calls: calls, refreshes, refused_refresh_tokens: refused, token_calls_per_expiry: Number((calls / Math.max(refreshes, 1)).toFixed(2)) };
  }
  // Metrics on (the service as configured by default) and off, alternating with the floor, twice.
  for (const round of datasets[0].withoutMetrics ? [1, 2] : []) {
    const dataset = datasets[0];
    await run(dataset, `metrics: floor #${round}`, dataset.floor, dataset.fetches, false);
    await run(dataset, `metrics: on #${round}`, dataset.service, dataset.fetches, false);
    await run(dataset, `metrics: off #${round}`, dataset.withoutMetrics!, dataset.fetches, false);
  }
  // The same at a fixed rate: the service's CPU per fetch, steadier than req/s on a shared machine.
  if (datasets[0].withoutMetrics) {
    const dataset = datasets[0];
    for (const [scenario, target] of [['metrics on: CPU at fixed rate', dataset.service], ['metrics off: CPU at fixed rate', dataset.withoutMetrics!]] as const) {
      const meter = cpuMeter(target.process.pid!);
      const result = await load(target.url, dataset.fetches, DURATION, FIXED_RATE_CONNECTIONS, FIXED_RATE);
      const { cpu_us_per_request: cpu, postgres_cpu_us_per_request: postgresCpu } = meter.perRequest(result.requests.total);
      log(`${dataset.name.padEnd(16)} ${scenario.padEnd(30)} ${FIXED_RATE} req/s offered: ${cpu} µs of server CPU per request`);
      rows.push({ dataset: dataset.name, scenario, cpu_us_per_request: cpu, postgres_cpu_us_per_request: postgresCpu, requests_per_s: Math.round(result.requests.average), p50_ms: null, p99_ms: null, errors: result.errors + result.timeouts, non_2xx: result.non2xx, service_rss_mib: null });
    }
  }
  const webhooks = datasets[0].webhooks;
  if (webhooks) rows.push(...(await measureWebhooks(datasets[0], webhooks, run)));
  for (const dataset of SCENARIOS.has('list') ? datasets : []) {
    const { customerId, apiKey, label } = dataset.lister;
    const page = [{ method: 'GET' as const, path: `/v1/customers/${customerId}/connections?limit=100`, headers: { 'x-api-key': apiKey } }];
    await run(dataset, label, dataset.service, page, false);
    await run(dataset, `${label}, read anew`, dataset.uncached, page, false);
  }
  for (const dataset of SCENARIOS.has('create') ? datasets : []) {
    await run(dataset, 'create connection', dataset.service, [
      {
        method: 'POST',
        path: `/v1/customers/${dataset.writer.customerId}/connections`,
        headers: { 'x-api-key': dataset.writer.apiKey, 'content-type': 'application/json' },
        setupRequest: (request: autocannon.Request) => ({
          ...request,
          body: JSON.stringify({ provider: 'bench', name: randomUUID(), credentials: { access_token: randomUUID(), expires_in: 3600 } }),
        }),
      },
    ], false);
  }
  return rows;
}

let oauthSummary: Record<string, number> | undefined;
let webhookSummary: Record<string, number> | undefined;

/**
 * Deliveries per second: events written in one statement, timed until the receiver has every one and
 * every attempt is recorded as succeeded. Then the fetch, before and with a webhook on every customer:
 * the outbox and the delivery queue must not grow by a row.
 */
async function measureWebhooks(
  dataset: Dataset,
  webhooks: NonNullable<Dataset['webhooks']>,
  run: (dataset: Dataset, scenario: string, target: Running, requests: autocannon.Request[], watchRss: boolean) => Promise<void>,
): Promise<Row[]> {
  const rows: Row[] = [];
  const count = Math.max(500, DURATION * 500);
  const before = webhooks.receiver.received;
  const cpu = cpuMeter(webhooks.service.process.pid!);
  const started = Date.now();
  await writeEvents(webhooks.deliveryPool, webhooks.customerId, count);
  await webhooks.receiver.until(before + count);
  while ((await deliveriesLeft(webhooks.deliveryPool, webhooks.customerId)) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const elapsed = (Date.now() - started) / 1000;
  const perDelivery = cpu.perRequest(count);
  const rate = Math.round(count / elapsed);
  log(`webhooks: ${count} deliveries in ${elapsed.toFixed(2)} s: ${rate} per second; CPU µs per delivery: service ${perDelivery.cpu_us_per_request}, PostgreSQL ${perDelivery.postgres_cpu_us_per_request}`);
  rows.push({ dataset: 'webhooks', scenario: 'webhooks: deliveries to a receiver answering at once', requests_per_s: rate, ...perDelivery, p50_ms: null, p99_ms: null, errors: 0, non_2xx: 0, service_rss_mib: null });

  // Alternating, twice: on a shared machine the order of two runs says more than a webhook could.
  const written = { events: 0, deliveries: 0 };
  for (const round of [1, 2]) {
    await run(dataset, `webhooks: fetch, no webhook #${round}`, dataset.service, dataset.fetches, false);
    const unsubscribe = await subscribeEveryCustomer(webhooks.pool, webhooks.sealer);
    try {
      const outboxBefore = await outboxRows(webhooks.pool, dataset.oauth?.customerId ?? null);
      await run(dataset, `webhooks: fetch, every customer subscribed #${round}`, dataset.service, dataset.fetches, false);
      const outboxAfter = await outboxRows(webhooks.pool, dataset.oauth?.customerId ?? null);
      written.events += outboxAfter.events - outboxBefore.events;
      written.deliveries += outboxAfter.deliveries - outboxBefore.deliveries;
    } finally {
      await unsubscribe();
    }
  }
  log(`webhooks: the fetches wrote ${written.events} events and ${written.deliveries} deliveries`);
  webhookSummary = { deliveries_per_s: rate, events_written_by_fetches: written.events, deliveries_written_by_fetches: written.deliveries };
  return rows;
}

/** The fetch as a runtime does it: a random instance, one of its granted providers, a capability. */
function fetchRequests(instances: SeededInstance[]): autocannon.Request[] {
  return [
    {
      method: 'GET',
      setupRequest: (request: autocannon.Request) => {
        const instance = instances[Math.floor(Math.random() * instances.length)];
        const provider = instance.providers[Math.floor(Math.random() * instance.providers.length)];
        return { ...request, path: `/internal/v1/instances/${instance.id}/connections?provider=${provider}&capability=read`, headers: { authorization: `Bearer ${instance.proxyKey}` } };
      },
    },
  ];
}

function load(url: string, requests: autocannon.Request[], duration: number, connections: number, overallRate?: number): Promise<autocannon.Result> {
  return new Promise((resolveRun, reject) => {
    autocannon({ url, connections, duration, requests, ...(overallRate && { overallRate }) }, (error, result) => (error ? reject(error) : resolveRun(result)));
  });
}

/**
 * CPU time from now on of the server `pid`, of PostgreSQL and of this process (autocannon), each per
 * request once `perRequest` is given how many requests the run made.
 */
function cpuMeter(pid: number): { perRequest(requests: number): Pick<Row, 'cpu_us_per_request' | 'postgres_cpu_us_per_request' | 'driver_cpu_us_per_request'> } {
  const driverBefore = process.cpuUsage();
  const serverBefore = processCpuMicros(pid);
  const postgresBefore = postgresCpuByPid();
  return {
    perRequest(requests) {
      const driver = process.cpuUsage(driverBefore);
      const per = (micros: number) => Math.round(micros / Math.max(requests, 1));
      return {
        cpu_us_per_request: per(processCpuMicros(pid) - serverBefore),
        postgres_cpu_us_per_request: per(postgresCpuSince(postgresBefore)),
        driver_cpu_us_per_request: per(driver.user + driver.system),
      };
    },
  };
}

/** CPU time so far of each process on this machine named `postgres` (the server and its backends), by pid. */
function postgresCpuByPid(): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') cpu.set(Number(entry), processCpuMicros(Number(entry)));
    } catch {
      // the process ended meanwhile
    }
  }
  return cpu;
}

/** PostgreSQL CPU used since `before`, by the processes alive now (one that ended meanwhile is not counted). */
function postgresCpuSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of postgresCpuByPid()) total += cpu - (before.get(pid) ?? 0);
  return total;
}

/** User + system CPU time of a process so far, in µs (from /proc; clock ticks of 10 ms). */
function processCpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Samples the service's resident memory every 100 ms; `stop` gives the peak in MiB. */
function watchMemory(pid: number): { stop(): number } {
  let peak = 0;
  const sample = () => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (match) peak = Math.max(peak, Number(match[1]) / 1024);
  };
  sample();
  const timer = setInterval(sample, 100);
  return { stop: () => (clearInterval(timer), sample(), Math.round(peak)) };
}

async function createWriterCustomer(url: string, adminKey: string): Promise<{ customerId: string; apiKey: string }> {
  const response = await fetch(`${url}/v1/customers`, { method: 'POST', headers: { 'x-api-key': adminKey, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench writer' }) });
  const customer = (await response.json()) as { id: string };
  return { customerId: customer.id, apiKey: await createApiKey(url, adminKey, customer.id) };
}

async function createApiKey(url: string, adminKey: string, customerId: string): Promise<string> {
  const response = await fetch(`${url}/v1/customers/${customerId}/api-keys`, { method: 'POST', headers: { 'x-api-key': adminKey, 'content-type': 'application/json' }, body: '{}' });
  return ((await response.json()) as { key: string }).key;
}

async function recreateDatabase(serverUrl: string, database: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await client.query(`CREATE DATABASE ${database}`);
  await client.end();
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function report(rows: Row[]): void {
  const meanRate = (dataset: string, prefix: string) => {
    const matching = rows.filter((row) => row.dataset === dataset && row.scenario.startsWith(`${prefix} #`));
    return matching.reduce((sum, row) => sum + row.requests_per_s, 0) / Math.max(matching.length, 1);
  };
  // Only the datasets the fetch ran on (the webhooks scenario has a database of its own).
  const datasets = [...new Set(rows.filter((row) => row.scenario.startsWith('service fetch #')).map((row) => row.dataset))];
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  // The service's fetch against the floor's, and against its own on the first (smallest) dataset.
  const summary = Object.fromEntries(
    datasets.map((dataset) => {
      const service = meanRate(dataset, 'service fetch');
      const floor = meanRate(dataset, 'floor fetch');
      const audited = meanRate(dataset, 'audited floor fetch');
      return [
        dataset,
        {
          service: Math.round(service),
          floor: Math.round(floor),
          ratio: ratio(service, floor),
          audited_floor: Math.round(audited),
          ratio_to_audited_floor: ratio(service, audited),
          service_vs_first: ratio(service, meanRate(datasets[0], 'service fetch')),
        },
      ];
    }),
  );
  // Each adapter's fetch against the floor's, in the same alternating runs.
  const adaptersFloor = meanRate(datasets[0], 'adapters: floor');
  const adapters = Object.fromEntries(
    rows.some((row) => row.scenario.startsWith('adapters: '))
      ? ADAPTERS.map(([, label]) => {
          const nest = meanRate(datasets[0], `adapters: ${label}`);
          return [label, { requests_per_s: Math.round(nest), floor: Math.round(adaptersFloor), ratio: ratio(nest, adaptersFloor) }];
        })
      : [],
  );
  // The fetch's ratio to the floor with metrics recorded and without, in the same alternating runs.
  const metricsFloor = meanRate(datasets[0], 'metrics: floor');
  const metrics = rows.some((row) => row.scenario.startsWith('metrics: '))
    ? {
        on: ratio(meanRate(datasets[0], 'metrics: on'), metricsFloor),
        off: ratio(meanRate(datasets[0], 'metrics: off'), metricsFloor),
        cost: Number(((meanRate(datasets[0], 'metrics: off') - meanRate(datasets[0], 'metrics: on')) / metricsFloor).toFixed(3)),
      }
    : undefined;
  console.log('');
  console.table(rows);
  console.table(summary);
  if (Object.keys(adapters).length > 0) console.table(adapters);
  if (metrics) console.table({ 'fetch vs floor, metrics': metrics });
  const machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version };
  writeFileSync(
    join(ROOT, 'bench', 'results.json'),
    JSON.stringify({ ran_at: new Date().toISOString(), machine, connections: CONNECTIONS, duration_s: DURATION, rows, fetch_vs_floor: summary, adapters_vs_floor: adapters, metrics_vs_floor: metrics, oauth: oauthSummary, webhooks: webhookSummary }, null, 2) + '\n',
  );
  log('wrote bench/results.json');
}

function log(message: string): void {
  console.log(`[bench] ${message}`);
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
