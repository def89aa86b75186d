import { PageCache } from '../../src/connections/page-cache';

describe('PageCache', () => {
  it('gives a page back for its version only, while younger than its maximum age', () => {
    const cache = new PageCache(1000, 1000);
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
  });

  it('holds at most its bytes, dropping the least recently used first', () => {
    const cache = new PageCache(100, 1000);
    cache.set('a', '1', 'a'.repeat(25), 0);
    cache.set('b', '1', 'b'.repeat(25), 0);
    cache.set('c', '1', 'c'.repeat(25), 0);
    cache.set('d', '1', 'd'.repeat(25), 0);
    expect(cache.get('a', '1', 1)).toBeDefined(); // a is now the most recently used
    cache.set('e', '1', 'e'.repeat(25), 1);
    expect(cache.get('b', '1', 2)).toBeUndefined();
    for (const key of ['a', 'c', 'd', 'e']) expect(cache.get(key, '1', 2)).toBeDefined();
  });

  it('counts a page set again once, and keeps no page over a quarter of its bytes', () => {
    const cache = new PageCache(100, 1000);
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
});
