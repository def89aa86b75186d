import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { findFreePort } from '../../src/database/embedded-postgres';
import { TEST_ENV } from './test-app';

/**
 * The service as a real process (`src/main.ts`, run from its sources), for what only a process can show:
 * a SIGKILL, a restart. Its standard output is kept, line by line.
 */
export class ServiceProcess {
  readonly output: string[] = [];
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** Starts it on `databaseUrl` with the test settings and `env`; resolves once /health/ready answers 200. */
  static async start(databaseUrl: string, env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
    const port = await findFreePort();
    const root = process.cwd();
    const child = spawn(process.execPath, ['-r', resolve(root, 'test/support/register-ts.cjs'), resolve(root, 'src/main.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH, ...TEST_ENV, ...env, DATABASE_URL: databaseUrl, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, `http://127.0.0.1:${port}`);
    let pending = '';
    const keep = (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop()!;
      service.output.push(...lines);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    for (const deadline = Date.now() + 60_000; ; ) {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${service.output.slice(-5).join('\n')}`);
      try {
        if ((await fetch(`${service.url}/health/ready`)).ok) return service;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('the service did not start within 60 s');
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }

  /** Sends `signal` and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => this.child.once('exit', () => resolveExit()));
    this.child.kill(signal);
    await exited;
  }
}
