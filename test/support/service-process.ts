import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findFreePort } from '../../src/database/embedded-postgres';
import { TEST_ENV } from './test-app';

// Tests run from the repository's root (jest's rootDir); ESM test modules have no __dirname.
const ROOT = resolve(process.cwd());
/** The compiled service for tests that need a real process (SIGKILL, CLIs), apart from `dist/`. */
export const TEST_DIST = join(ROOT, '.data', 'test-dist');
const STAMP = join(TEST_DIST, '.sources-stamp');
const LOCK = join(ROOT, '.data', 'test-dist.lock');

/** The newest modification time among the sources the build reads: the compiled copy is stale when it changes. */
function sourcesStamp(): string {
  let newest = statSync(join(ROOT, 'tsconfig.build.json')).mtimeMs;
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const folder of ['src', 'migrations', 'bench']) walk(join(ROOT, folder));
  return String(newest);
}

/**
 * Compiles the service into `.data/test-dist` unless that copy is already of the current sources;
 * a lock directory keeps two test files (or runs) from compiling into it at once.
 */
export async function compiledService(): Promise<string> {
  mkdirSync(join(ROOT, '.data'), { recursive: true });
  for (const deadline = Date.now() + 120_000; ; ) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than two minutes was left by a run that died.
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${LOCK} is held`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
    }
  }
  try {
    const stamp = sourcesStamp();
    if (!existsSync(STAMP) || readFileSync(STAMP, 'utf8') !== stamp) {
      rmSync(TEST_DIST, { recursive: true, force: true });
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', TEST_DIST, '--tsBuildInfoFile', join(TEST_DIST, '.tsbuildinfo')], {
        cwd: ROOT,
        stdio: 'pipe',
      });
      writeFileSync(STAMP, stamp);
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
  return TEST_DIST;
}

/** Runs one of the compiled CLIs to its end: its exit code and output. */
export async function runCompiledCli(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dist = await compiledService();
  const child = spawn(process.execPath, [join(dist, script)], { cwd: ROOT, env: { ...childEnv(), ...TEST_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolveExit) => child.once('exit', (exitCode) => resolveExit(exitCode)));
  return { code, stdout, stderr };
}

/** The compiled service as a real process on a free port, with the test settings and `env`. */
export class ServiceProcess {
  readonly output: string[] = [];

  private constructor(
    readonly process: ChildProcess,
    readonly url: string,
  ) {}

  static async start(env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
    const dist = await compiledService();
    const port = await findFreePort();
    const child = spawn(process.execPath, [join(dist, 'src', 'main.js')], {
      cwd: ROOT,
      env: { ...childEnv(), ...TEST_ENV, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, `http://127.0.0.1:${port}`);
    child.stdout!.on('data', (chunk: Buffer) => service.output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => service.output.push(chunk.toString()));
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${service.output.join('')}`);
      try {
        if ((await fetch(`${service.url}/health/ready`)).ok) return service;
      } catch {
        // not listening yet
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`the service did not become ready: ${service.output.join('')}`);
  }

  /** Kills the process at once, as a crash would: nothing runs after the signal. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => this.process.once('exit', () => resolveExit()));
    this.process.kill(signal);
    await exited;
  }
}

/** What a child needs of this process's environment (PATH and the like), without the test runner's settings. */
function childEnv(): NodeJS.ProcessEnv {
  const { PATH, HOME, TMPDIR, LANG } = process.env;
  return { PATH, HOME, TMPDIR, LANG };
}
