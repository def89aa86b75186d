import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pageKey } from '../../src/connections/connection-reads';
import { PageCache } from '../../src/connections/page-cache';

setFlagsFromString('--expose-gc');
/** A full collection, so that heap figures count only what is still held. */
const collectGarbage = runInNewContext('gc') as () => void;

function heapUsedAfterCollection(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** The cost of a 25-character page under a 1-character key and version: budgets below are counted in pages. */
const PAGE = PageCache.costOf('a', '1', 'a'.repeat(25));

describe('PageCache', () => {
  it('gives a page back for its version only, while younger than its maximum age', () => {
    const cache = new PageCache(1000 * PAGE, 1000);
    cache.set('a', '7', 'page a', 5_000);
    expect(cache.get('a', '7', 5_999)).toBe('page a');
    expect(cache.get('b', '7', 5_000)).toBeUndefined();
    expect(cache.get('a', '8', 5_000)).toBeUndefined();
    // A page asked for at another version is dropped: versions only move on (a request that saw an older
    // one, racing a write, only costs a read anew).
    expect(cache.get('a', '7', 5_000)).toBeUndefined();
    cache.set('a', '7', 'page a', 5_000);
    expect(cache.get('a', '7', 6_000)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('holds at most its bytes, dropping the least recently used first', () => {
    const cache = new PageCache(4 * PAGE, 1000);
    cache.set('a', '1', 'a'.repeat(25), 0);
    cache.set('b', '1', 'b'.repeat(25), 0);
    cache.set('c', '1', 'c'.repeat(25), 0);
    cache.set('d', '1', 'd'.repeat(25), 0);
    expect(cache.get('a', '1', 1)).toBeDefined(); // a is now the most recently used
    cache.set('e', '1', 'e'.repeat(25), 1);
    expect(cache.get('b', '1', 2)).toBeUndefined();
    for (const key of ['a', 'c', 'd', 'e']) expect(cache.get(key, '1', 2)).toBeDefined();
    expect(cache.bytes).toBe(4 * PAGE);
  });

  it('counts a page set again once, and keeps no page over a quarter of its bytes', () => {
    const cache = new PageCache(4 * PAGE, 1000);
    for (let i = 0; i < 10; i++) cache.set('a', String(i), 'a'.repeat(25), 0);
    cache.set('b', '1', 'b'.repeat(25), 0);
    cache.set('c', '1', 'c'.repeat(25), 0);
    cache.set('d', '1', 'd'.repeat(25), 0);
    expect(cache.size).toBe(4);
    expect(cache.get('a', '9', 1)).toBe('a'.repeat(25));
    cache.set('big', '1', 'x'.repeat(26), 0);
    expect(cache.get('big', '1', 1)).toBeUndefined();
    expect(cache.size).toBe(4);
  });

  it('counts keys and bookkeeping, not only bodies, and characters beyond Latin-1 as two bytes', () => {
    const small = PageCache.costOf('k', '1', '{}');
    expect(PageCache.costOf('k'.repeat(101), '1', '{}')).toBe(small + 100);
    expect(PageCache.costOf('k', '1234', '{}')).toBe(small + 3);
    expect(PageCache.costOf('k', '1', '{"n":"é"}')).toBe(small + 7);
    expect(PageCache.costOf('k', '1', '{"n":"€"}')).toBe(small + 7 + 9);
    // Bodies alone would let 1,000 empty pages with long keys fit in 2 KB.
    const cache = new PageCache(100 * small, 1000);
    for (let i = 0; i < 1000; i++) cache.set(`${'k'.repeat(200)}${i}`, '1', '{}', 0);
    expect(cache.bytes).toBeLessThanOrEqual(100 * small);
    expect(cache.size).toBeLessThan(100);
  });

  it('never counts less than the heap a page really takes', () => {
    // Pages as the service keeps them: distinct keys, versions and bodies, like the rows pg gives.
    const cache = new PageCache(Number.MAX_SAFE_INTEGER, 60_000);
    const customerId = randomUUID();
    const count = 100_000;
    const before = heapUsedAfterCollection();
    for (let offset = 0; offset < count; offset++) {
      cache.set(pageKey(customerId, {}, 100, offset), String(1_000_000 + offset), `{"connections":[],"total":${offset}}`, 0);
    }
    const taken = heapUsedAfterCollection() - before;
    expect(cache.size).toBe(count);
    expect(taken).toBeLessThanOrEqual(cache.bytes);
    // ...and not grossly more either, or the budget would go unused.
    expect(taken).toBeGreaterThan(cache.bytes / 2);
  });

  it('stays within its budget over 1,000,000 distinct list queries', () => {
    const budget = 8 * 1024 * 1024;
    const cache = new PageCache(budget, 60_000);
    const customerId = randomUUID();
    const before = heapUsedAfterCollection();
    for (let query = 0; query < 1_000_000; query++) {
      const filter = query % 2 === 0 ? { provider: `provider ${query % 1000}` } : { status: `status ${query}` };
      cache.set(pageKey(customerId, filter, 1 + (query % 1000), query), String(1_000_000 + query), `{"connections":[],"total":${query}}`, 0);
      if (query % 100_000 === 0) expect(cache.bytes).toBeLessThanOrEqual(budget);
    }
    const taken = heapUsedAfterCollection() - before;
    expect(cache.bytes).toBeLessThanOrEqual(budget);
    expect(cache.bytes).toBeGreaterThan(budget * 0.99);
    expect(taken).toBeLessThanOrEqual(budget);
  });
});

describe('pageKey', () => {
  it('gives distinct queries distinct keys, whatever their filters hold', () => {
    const customerId = randomUUID();
    const keys = [
      pageKey(customerId, { provider: 'a b', status: 'c' }, 100, 0),
      pageKey(customerId, { provider: 'a', status: 'b c' }, 100, 0),
      pageKey(customerId, { provider: 'a b c' }, 100, 0),
      pageKey(customerId, { status: 'a b c' }, 100, 0),
      pageKey(customerId, { provider: '"a","b"' }, 100, 0),
      pageKey(customerId, { provider: 'a', status: 'b' }, 100, 0),
      pageKey(customerId, { provider: '1 0 a' }, 100, 0),
      pageKey(customerId, {}, 100, 10),
      pageKey(customerId, {}, 1001, 0),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
