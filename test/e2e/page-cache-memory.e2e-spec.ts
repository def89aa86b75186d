import { Agent, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ConnectionReads } from '../../src/connections/connection-reads';
import { createConnection, createCustomer, type TestCustomer } from '../support/factories';
import { TestApp } from '../support/test-app';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
function heapUsedAfterCollection(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/**
 * Distinct list queries sent to one process. 10^6 through HTTP would take most of an hour on these
 * shared 2-core machines (a few hundred to a thousand a second): test/unit/page-cache.spec.ts puts 10^6
 * through the cache itself.
 */
const QUERIES = 5_600;
const CONCURRENCY = 16;

/**
 * The kept pages of connection lists hold at most CONNECTION_PAGE_CACHE_MIB, counting keys and
 * bookkeeping: many distinct small queries (each a new key for a page of a few bytes) cannot grow the
 * heap past it. Sent over keep-alive sockets of node:http, so that tens of thousands fit in seconds.
 */
describe('Kept pages under many distinct list queries', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  beforeAll(async () => {
    t = await TestApp.start({ CONNECTION_PAGE_CACHE_MIB: '1' });
    customer = await createCustomer(t);
    await createConnection(t, customer, { provider: 'gmail' });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
  });

  function status(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path, headers: customer.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      }).on('error', reject);
    });
  }

  it(`stay within their budget over ${QUERIES.toLocaleString('en')} distinct queries`, async () => {
    const reads = t.app.get(ConnectionReads);
    const budget = reads.keptPages!.maxBytes;
    expect(budget).toBe(1024 * 1024);
    const ask = async (query: number) => {
      // Distinct offsets and limits, and filters as long as allowed (holding spaces): small pages, long keys.
      const filter = `&provider=${encodeURIComponent(`p ${query % 97} `.padEnd(50, 'x'))}&status=${'s'.repeat(32)}`;
      expect(await status(`/v1/customers/${customer.id}/connections?offset=${query}&limit=${1 + (query % 1000)}${filter}`)).toBe(200);
    };
    let next = 0;
    let mostCounted = 0;
    /** Sends the next `count` distinct queries, then gives the heap they leave behind. */
    const send = async (count: number): Promise<number> => {
      const last = next + count;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < last) {
            await ask(next++);
            mostCounted = Math.max(mostCounted, reads.keptPages!.bytes);
          }
        }),
      );
      // The harness keeps every log line in memory (the service writes them to stdout): not the cache's.
      t.logLines.length = 0;
      return heapUsedAfterCollection();
    };
    // Enough to fill the budget (about 2,500 pages of ~420 counted bytes), then as many again.
    const filled = await send(QUERIES / 2);
    expect(reads.keptPages!.bytes).toBeGreaterThan(budget * 0.9);
    const after = await send(QUERIES / 2);
    const kept = reads.keptPages!;
    expect(mostCounted).toBeLessThanOrEqual(budget);
    // Counting bodies only (about 30 bytes each here), all of them would have been kept.
    expect(kept.size).toBeLessThan(QUERIES / 2);
    // Once the budget is used, more distinct queries do not grow the heap: the second half's 2,800
    // pages would take more than 1 MB had they all been kept.
    expect(after - filled).toBeLessThan(512 * 1024);
  }, 90_000);

  it('keeps apart queries whose filters would have joined into the same key', async () => {
    const other = await createConnection(t, customer, { provider: 'a b' });
    await t.http().patch(`/v1/customers/${customer.id}/connections/${other.id}`).set(customer.headers).send({ name: 'n' }).expect(200);
    await t.db.query(`UPDATE connections SET status = 'c' WHERE id = $1`, [other.id]);
    const list = async (query: string) => (await t.http().get(`/v1/customers/${customer.id}/connections?${query}`).set(customer.headers).expect(200)).body;
    // Before, both made the key "… a b c": the second was served the first's page.
    for (let round = 0; round < 2; round++) {
      expect((await list('provider=a%20b&status=c')).total).toBe(1);
      expect((await list('provider=a&status=b%20c')).total).toBe(0);
    }
  });
});
