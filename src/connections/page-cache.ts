/** How long a kept page may be served, at most, while its version holds: what `last_used_at` may lag by. */
export const PAGE_MAX_AGE_MS = 1_000;

interface KeptPage {
  version: string;
  body: string;
  keptAt: number;
}

/**
 * Pages of JSON text kept by key, each with the version of what it shows; a page is given back only
 * for that same version and while younger than `maxAgeMs`. Holds at most `maxBytes` of text (counted
 * as its length: the pages are ASCII but for names and metadata), the least recently used going first.
 */
export class PageCache {
  private readonly pages = new Map<string, KeptPage>();
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    private readonly maxAgeMs = PAGE_MAX_AGE_MS,
  ) {}

  get size(): number {
    return this.pages.size;
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

  /** A page larger than a quarter of the whole is not kept: it would push out everything else. */
  set(key: string, version: string, body: string, now: number): void {
    const old = this.pages.get(key);
    if (old !== undefined) this.remove(key, old);
    if (body.length > this.maxBytes / 4) return;
    this.pages.set(key, { version, body, keptAt: now });
    this.bytes += body.length;
    for (const [oldestKey, oldest] of this.pages) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldestKey, oldest);
    }
  }

  private remove(key: string, page: KeptPage): void {
    this.pages.delete(key);
    this.bytes -= page.body.length;
  }
}
