import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { CredentialSealer, KeyRing } from '../src/crypto/credential-sealer';
import { dataSourceOptions } from '../src/database/data-source-options';
import { connectEmbeddedPostgres, findFreePort } from '../src/database/embedded-postgres';
import { seedCustomers, type SeededInstance } from './seed';

/**
 * `npm run bench`: the service in production mode and the floor, on the same freshly seeded database,
 * driven by autocannon from this process. Env: DATABASE_URL (else the embedded PostgreSQL of
 * `.data/postgres`), BENCH_DURATION seconds per run (default 10), BENCH_CONNECTIONS (default 32),
 * BENCH_LARGE=0 to skip the 1,000,000-connection phase, BENCH_PROFILE=1 to write CPU profiles of the
 * service and the floor (`--cpu-prof`, into .data/profiles/), BENCH_SCENARIOS to run only some of
 * health, fetch, cpu, list and create, BENCH_SERVICE_NODE_FLAGS to start the service with other flags.
 */
const ROOT = resolve(__dirname, '..', '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const LARGE = process.env.BENCH_LARGE !== '0';
const PROFILE = process.env.BENCH_PROFILE === '1';
/** Which scenarios run (BENCH_SCENARIOS=fetch,list for instance): all of them by default. */
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'health,fetch,cpu,list,create').split(',').map((name) => name.trim()));
/** The request rate of the CPU-per-request runs: well under what either server can take. */
const FIXED_RATE = 500;
const BENCH_DATABASE = 'hydracore_bench';
/** The service runs with the flags of `npm start` / `npm run start:prod` (package.json); BENCH_SERVICE_NODE_FLAGS tries others. */
const SERVICE_NODE_FLAGS = process.env.BENCH_SERVICE_NODE_FLAGS?.split(' ').filter(Boolean) ?? ['--max-semi-space-size=8'];

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

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL ? undefined : await connectEmbeddedPostgres(join(ROOT, '.data', 'postgres'));
  const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
  const databaseUrl = await recreateDatabase(serverUrl);
  const masterKey = { id: 'bench', key: randomBytes(32) };
  const sealer = new CredentialSealer(new KeyRing(masterKey, []));
  const adminKey = randomBytes(32).toString('base64url');
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEY: masterKey.key.toString('base64'),
    ENCRYPTION_KEY_ID: masterKey.id,
    ENCRYPTION_PREVIOUS_KEYS: '',
    ADMIN_API_KEY: adminKey,
    LOG_LEVEL: 'info',
  };

  const migrations = new DataSource(dataSourceOptions(databaseUrl));
  await migrations.initialize();
  await migrations.runMigrations();
  await migrations.destroy();

  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  const rows: Row[] = [];
  let service: Running | undefined;
  let floor: Running | undefined;
  let uncached: Running | undefined;
  try {
    let started = Date.now();
    const small = await seedCustomers(pool, sealer, { customers: 100, connectionsPerCustomer: 100, instancesPerCustomer: 10, grantsPerInstance: 5 }, 'small');
    await settle(pool);
    log(`seeded 10,000 connections, 1,000 instances, 5,000 grants in ${seconds(started)} s`);
    const instances = [...small.instances];

    service = await start('dist/src/main.js', env);
    floor = await start('dist/bench/floor.js', env);
    // The same service keeping no pages: what a list page costs when it is read anew (a busy customer's).
    uncached = await start('dist/src/main.js', { ...env, CONNECTION_PAGE_CACHE_MIB: '0' });
    const writer = await createWriterCustomer(service.url, adminKey);
    const smallCustomer = { customerId: small.customerIds[0], apiKey: await createApiKey(service.url, adminKey, small.customerIds[0]) };
    rows.push(...(await measure('10k connections', instances, service, floor, uncached, writer, { ...smallCustomer, label: 'list page of 100' })));

    if (LARGE) {
      started = Date.now();
      const big = await seedCustomers(pool, sealer, { customers: 1, connectionsPerCustomer: 100_000, instancesPerCustomer: 10, grantsPerInstance: 5 }, 'big');
      const rest = await seedCustomers(pool, sealer, { customers: 8_900, connectionsPerCustomer: 100, instancesPerCustomer: 10, grantsPerInstance: 5 }, 'large');
      instances.push(...big.instances, ...rest.instances);
      await settle(pool);
      const [{ count }] = (await pool.query('SELECT count(*)::int AS count FROM connections')).rows;
      log(`seeded up to ${count.toLocaleString('en')} connections (one customer with 100,000) in ${seconds(started)} s`);
      const bigCustomerKey = await createApiKey(service.url, adminKey, big.customerIds[0]);
      rows.push(...(await measure('1M connections', instances, service, floor, uncached, writer, { customerId: big.customerIds[0], apiKey: bigCustomerKey, label: 'list page of 100 (100k)' })));
    }
  } finally {
    service?.process.kill('SIGTERM');
    floor?.process.kill('SIGTERM');
    uncached?.process.kill('SIGTERM');
    await pool.end();
    await embedded?.stop();
  }
  report(rows);
}

/**
 * After a bulk load, the state a database serving this traffic has long been in: vacuumed, analyzed,
 * checkpointed, and its tables and indexes in shared buffers (bulk inserts and VACUUM go through a
 * small ring of buffers and leave them cold: measured at 1M connections, PostgreSQL CPU per fetch fell
 * from 555 to 178 µs over three 6-second rounds as pages came in one read at a time). Without this the
 * figures measure autovacuum, the checkpointer and the warm-up.
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

async function start(script: string, env: NodeJS.ProcessEnv): Promise<Running> {
  const port = await findFreePort();
  const isService = script.includes('main');
  const execArgv = [...(isService ? SERVICE_NODE_FLAGS : []), ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, '.data', 'profiles')}`, `--cpu-prof-name=${isService ? 'service' : 'floor'}-${Date.now()}.cpuprofile`] : [])];
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

async function measure(
  dataset: string,
  instances: SeededInstance[],
  service: Running,
  floor: Running,
  /** The service started with CONNECTION_PAGE_CACHE_MIB=0. */
  uncached: Running,
  writer: { customerId: string; apiKey: string },
  /** The customer whose first page of 100 connections is listed. */
  lister: { customerId: string; apiKey: string; label: string },
): Promise<Row[]> {
  const rows: Row[] = [];
  const fetches: autocannon.Request[] = [
    {
      method: 'GET',
      setupRequest: (request: autocannon.Request) => {
        const instance = instances[Math.floor(Math.random() * instances.length)];
        const provider = instance.providers[Math.floor(Math.random() * instance.providers.length)];
        return { ...request, path: `/internal/v1/instances/${instance.id}/connections?provider=${provider}&capability=read`, headers: { authorization: `Bearer ${instance.proxyKey}` } };
      },
    },
  ];
  const run = async (scenario: string, target: Running, requests: autocannon.Request[], watchRss: boolean) => {
    await load(target.url, requests, Math.min(3, DURATION), CONNECTIONS); // warm-up: JIT, plans, pools
    const rss = watchRss ? watchMemory(service.process.pid!) : undefined;
    const cpu = cpuMeter(target.process.pid!);
    const result = await load(target.url, requests, DURATION, CONNECTIONS);
    const row: Row = {
      dataset,
      scenario,
      requests_per_s: Math.round(result.requests.average),
      ...cpu.perRequest(result.requests.total),
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      errors: result.errors + result.timeouts,
      non_2xx: result.non2xx,
      service_rss_mib: rss ? rss.stop() : null,
    };
    log(`${dataset.padEnd(16)} ${scenario.padEnd(30)} ${String(row.requests_per_s).padStart(7)} req/s  p50 ${row.p50_ms} ms  p99 ${row.p99_ms} ms  errors ${row.errors}  non-2xx ${row.non_2xx}  CPU µs/req: server ${row.cpu_us_per_request}, PostgreSQL ${row.postgres_cpu_us_per_request}, autocannon ${row.driver_cpu_us_per_request}`);
    rows.push(row);
  };

  if (SCENARIOS.has('health')) await run('health/live (baseline)', service, [{ method: 'GET', path: '/health/live' }], false);
  // Alternate floor and service, twice, so that drift on a noisy machine falls on both alike.
  for (const round of SCENARIOS.has('fetch') ? [1, 2] : []) {
    await run(`floor fetch #${round}`, floor, fetches, false);
    await run(`service fetch #${round}`, service, fetches, true);
  }
  for (const [scenario, target] of SCENARIOS.has('cpu') ? ([['floor fetch CPU at fixed rate', floor], ['service fetch CPU at fixed rate', service]] as const) : []) {
    const meter = cpuMeter(target.process.pid!);
    const result = await load(target.url, fetches, DURATION, 8, FIXED_RATE);
    const { cpu_us_per_request: cpu, postgres_cpu_us_per_request: postgresCpu } = meter.perRequest(result.requests.total);
    log(`${dataset.padEnd(16)} ${scenario.padEnd(30)} ${FIXED_RATE} req/s offered: ${cpu} µs of server CPU and ${postgresCpu} µs of PostgreSQL CPU per request`);
    // Latencies of a paced run say how autocannon paces, not how the server answers: left out.
    rows.push({ dataset, scenario, cpu_us_per_request: cpu, postgres_cpu_us_per_request: postgresCpu, requests_per_s: Math.round(result.requests.average), p50_ms: null, p99_ms: null, errors: result.errors + result.timeouts, non_2xx: result.non2xx, service_rss_mib: null });
  }
  if (SCENARIOS.has('list')) {
    const page = [{ method: 'GET' as const, path: `/v1/customers/${lister.customerId}/connections?limit=100`, headers: { 'x-api-key': lister.apiKey } }];
    await run(lister.label, service, page, false);
    await run(`${lister.label}, read anew`, uncached, page, false);
  }
  if (SCENARIOS.has('create')) await run('create connection', service, [
    {
      method: 'POST',
      path: `/v1/customers/${writer.customerId}/connections`,
      headers: { 'x-api-key': writer.apiKey, 'content-type': 'application/json' },
      setupRequest: (request: autocannon.Request) => ({
        ...request,
        body: JSON.stringify({ provider: 'bench', name: randomUUID(), credentials: { access_token: randomUUID(), expires_in: 3600 } }),
      }),
    },
  ], false);
  return rows;
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

async function recreateDatabase(serverUrl: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
  await client.query(`CREATE DATABASE ${BENCH_DATABASE}`);
  await client.end();
  const url = new URL(serverUrl);
  url.pathname = `/${BENCH_DATABASE}`;
  return url.toString();
}

function report(rows: Row[]): void {
  const fetchRatio = (dataset: string) => {
    const mean = (prefix: string) => {
      const matching = rows.filter((row) => row.dataset === dataset && row.scenario.startsWith(`${prefix} #`));
      return matching.reduce((sum, row) => sum + row.requests_per_s, 0) / Math.max(matching.length, 1);
    };
    return { service: Math.round(mean('service fetch')), floor: Math.round(mean('floor fetch')), ratio: Number((mean('service fetch') / mean('floor fetch')).toFixed(2)) };
  };
  const datasets = [...new Set(rows.map((row) => row.dataset))];
  const summary = Object.fromEntries(datasets.map((dataset) => [dataset, fetchRatio(dataset)]));
  console.log('');
  console.table(rows);
  console.table(summary);
  const machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version };
  writeFileSync(
    join(ROOT, 'bench', 'results.json'),
    JSON.stringify({ ran_at: new Date().toISOString(), machine, connections: CONNECTIONS, duration_s: DURATION, rows, fetch_vs_floor: summary }, null, 2) + '\n',
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
