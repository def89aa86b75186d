/** How long a kept page may be served, at most, while its version holds: what `last_used_at` may lag by. */
export const PAGE_MAX_AGE_MS = 1_000;

/**
 * What one kept page costs the heap besides its three strings, in bytes (64-bit V8): its slots in the
 * Map (key, value, chain link, bucket, and up to as many again while the table is at most half full),
 * the KeptPage object with its fields, and the boxed number of `keptAt`. Measured in
 * test/unit/page-cache.spec.ts, rounded up.
 */
const ENTRY_OVERHEAD_BYTES = 160;
/** A string's header in V8 (map, hash, length), rounded up to its alignment. */
const STRING_HEADER_BYTES = 24;

interface KeptPage {
  version: string;
  body: string;
  keptAt: number;
  /** What this page costs the heap, counted once when kept. */
  bytes: number;
}

/** A string's size in V8: one byte a character when all are Latin-1, else two. */
function stringBytes(value: string): number {
  return STRING_HEADER_BYTES + value.length * (/[^\u0000-\u00ff]/.test(value) ? 2 : 1);
}

/**
 * Pages of JSON text kept by key, each with the version of what it shows; a page is given back only
 * for that same version and while younger than `maxAgeMs`. Holds at most `maxBytes` of heap, counting
 * every page's key, version, body and bookkeeping (a million small pages of distinct queries cost far
 * more than their bodies), the least recently used going first.
 */
export class PageCache {
  private readonly pages = new Map<string, KeptPage>();
  /**
   * Kept across evictions: a Map iterator follows deletions and moves, and every entry behind it has
   * been evicted, so its next entry is the least recently used one. A new iterator would step again over
   * every slot deleted since the Map's last compaction: 25 µs a page once a million had gone through.
   */
  private leastRecentlyUsed = this.pages.entries();
  private heldBytes = 0;

  constructor(
    readonly maxBytes: number,
    private readonly maxAgeMs = PAGE_MAX_AGE_MS,
  ) {}

  /** What keeping this page costs, as counted against `maxBytes`. */
  static costOf(key: string, version: string, body: string): number {
    return ENTRY_OVERHEAD_BYTES + stringBytes(key) + stringBytes(version) + stringBytes(body);
  }

  get size(): number {
    return this.pages.size;
  }

  /** The bytes counted for the pages held now: never above `maxBytes`. */
  get bytes(): number {
    return this.heldBytes;
  }

  get(key: string, version: string, now: number): string | undefined {
    const page = this.pages.get(key);
    if (page === undefined) return undefined;
    // Another version: the list has changed since (or this request saw it before a write; then the
    // page is only read anew). Versions are compared for equality only, newer or older alike.
    if (page.version !== version || now - page.keptAt >= this.maxAgeMs) {
      this.remove(key, page);
      return undefined;
    }
    // Most recently used last: the Map keeps insertion order.
    this.pages.delete(key);
    this.pages.set(key, page);
    return page.body;
  }

  /** A page costing more than a quarter of the whole is not kept: it would push out everything else. */
  set(key: string, version: string, body: string, now: number): void {
    const old = this.pages.get(key);
    if (old !== undefined) this.remove(key, old);
    const bytes = PageCache.costOf(key, version, body);
    if (bytes > this.maxBytes / 4) return;
    this.pages.set(key, { version, body, keptAt: now, bytes });
    this.heldBytes += bytes;
    while (this.heldBytes > this.maxBytes) this.evictLeastRecentlyUsed();
  }

  private evictLeastRecentlyUsed(): void {
    let next = this.leastRecentlyUsed.next();
    if (next.done) {
      // Only when it had reached an empty Map's end: a finished iterator stays finished.
      this.leastRecentlyUsed = this.pages.entries();
      next = this.leastRecentlyUsed.next();
    }
    const [key, page] = next.value!;
    this.remove(key, page);
  }

  private remove(key: string, page: KeptPage): void {
    this.pages.delete(key);
    this.heldBytes -= page.bytes;
  }
}
