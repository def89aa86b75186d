import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { CredentialSealer, KeyRing } from '../../src/crypto/credential-sealer';
import { rotateDataKeys, type TableRotation } from '../../src/crypto/key-rotation';
import { createConnection, createCustomer } from '../support/factories';
import { TEST_ENCRYPTION_KEY, TEST_ENCRYPTION_KEY_ID, TEST_ENV, TestApp } from '../support/test-app';

const ROOT = process.cwd();
const OLD_KEY = { id: TEST_ENCRYPTION_KEY_ID, key: Buffer.from(TEST_ENCRYPTION_KEY, 'base64') };
const NEW_KEY = { id: 'test-k2', key: Buffer.alloc(32, 11) };
const afterRotation = new CredentialSealer(new KeyRing(NEW_KEY, [OLD_KEY]));
/** A replica that has not been given the new key yet: it still seals under the old one. */
const replicaOnTheOldKey = new CredentialSealer(new KeyRing(OLD_KEY, []));

/** `npm run keys:rotate` (its compiled entry, run from the sources) on the database of `t`, its output not a terminal. */
async function runKeysRotate(t: TestApp, previousKeys: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    ...TEST_ENV,
    DATABASE_URL: (t.db.options as PostgresDataSourceOptions).url,
    ENCRYPTION_KEY: NEW_KEY.key.toString('base64'),
    ENCRYPTION_KEY_ID: NEW_KEY.id,
    ENCRYPTION_PREVIOUS_KEYS: previousKeys,
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--require', join(ROOT, 'test/support/register-ts.cjs'), join(ROOT, 'src/commands/crypto/rotate-keys.ts')], { cwd: ROOT, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('keys:rotate', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await TestApp.start();
  });
  afterEach(() => t.close());

  async function seedConnections(count: number): Promise<{ customerId: string; ids: string[] }> {
    const customer = await createCustomer(t);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await createConnection(t, customer, { provider: `p${i}`, credentials: { token: `token-${i}` } })).id);
    return { customerId: customer.id, ids: ids.sort() };
  }

  it('counts again at the end, and reports a row written behind its cursor under the old key', async () => {
    const { customerId, ids } = await seedConnections(6);
    const seen: TableRotation[] = [];
    const report = await rotateDataKeys(t.db, afterRotation, {
      batchSize: 2,
      onProgress: async (progress) => {
        seen.push({ ...progress, failed: [...progress.failed] });
        // After the second batch, a replica still on the old key re-seals the first row (a PATCH):
        // that row is behind the cursor, and the loop will not see it again.
        if (progress.done === 4) {
          const sealed = replicaOnTheOldKey.seal({ token: 'patched' }, { connectionId: ids[0], customerId });
          await t.db.query('UPDATE connections SET credentials_ciphertext = $2, credentials_nonce = $3, wrapped_data_key = $4, key_id = $5 WHERE id = $1', [
            ids[0],
            sealed.ciphertext,
            sealed.nonce,
            sealed.wrappedDataKey,
            sealed.keyId,
          ]);
        }
      },
    });
    expect(report).toMatchObject({ rewrapped: 6, failed: [], remaining: 1 });
    expect(seen.filter(({ table }) => table === 'connections').map(({ done, total, finished }) => ({ done, total, finished }))).toEqual([
      { done: 0, total: 6, finished: false },
      { done: 2, total: 6, finished: false },
      { done: 4, total: 6, finished: false },
      { done: 6, total: 6, finished: false },
      { done: 6, total: 6, finished: true },
    ]);
    // Run again once the replica has the new key: nothing remains.
    expect(await rotateDataKeys(t.db, afterRotation)).toMatchObject({ rewrapped: 1, failed: [], remaining: 0 });
  });

  it('as a command: JSON progress lines when not on a terminal, exit 0 when every row is under the new key', async () => {
    await seedConnections(3);
    const { code, stdout, stderr } = await runKeysRotate(t, `${OLD_KEY.id}:${OLD_KEY.key.toString('base64')}`);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines[0]).toEqual({ event: 'table_start', table: 'connections', done: 0, total: 3, rewrapped: 0, failed: 0, rate_per_s: 0, eta_s: null });
    expect(lines.find((line) => line.event === 'table_done' && line.table === 'connections')).toMatchObject({ done: 3, total: 3, rewrapped: 3, failed: 0, eta_s: 0 });
    expect(lines.find((line) => line.event === 'table_done' && line.table === 'oauth_apps')).toMatchObject({ done: 0, total: 0 });
    expect(lines.at(-1)).toEqual({ event: 'done', rewrapped: 3, failed: 0, remaining: 0, key_id: NEW_KEY.id });
    expect(await t.db.query('SELECT DISTINCT key_id FROM connections')).toEqual([{ key_id: NEW_KEY.id }]);
  }, 60_000);

  it('as a command: exits 1 and says why when a row is still under another key at the end', async () => {
    await seedConnections(2);
    // The old key is not given: its rows cannot be opened, and stay under it.
    const { code, stdout, stderr } = await runKeysRotate(t, '');
    expect(code).toBe(1);
    expect(stdout.trim().split('\n').map((line) => JSON.parse(line)).at(-1)).toEqual({ event: 'done', rewrapped: 0, failed: 2, remaining: 2, key_id: NEW_KEY.id });
    expect(stderr).toMatch(/2 rows did not open/);
    expect(stderr).toMatch(/2 rows are still under another master key/);
    expect(stderr).not.toContain(NEW_KEY.key.toString('base64'));
  }, 60_000);
});
