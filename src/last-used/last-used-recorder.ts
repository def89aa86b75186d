import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The rows whose `last_used_at` is recorded: where it is kept, and the column that names the row. */
const USAGE_TABLES = {
  api_keys: { table: 'api_keys', id: 'id' },
  // Not in the connection's own row: see the migration ConnectionLastUses.
  connections: { table: 'connection_last_uses', id: 'connection_id' },
} as const;
type UsageTable = keyof typeof USAGE_TABLES;

/**
 * The write of a batch: `$1` the rows' ids, `$2` their latest uses in epoch milliseconds; a row already
 * as new is left alone. `= ANY` has the rows found by primary key whatever the table's size (joined to
 * `unnest` alone, a small table was read whole: test/e2e/query-plans). The statement commits
 * asynchronously (`synchronous_commit` off for its own transaction, set in the same round trip): a
 * crash of PostgreSQL may lose its last ~0.6 s of timestamps, as a crash of the service loses the ~2 s
 * still in memory; nothing else is written this way.
 */
export const LAST_USED_UPDATES = Object.fromEntries(
  Object.entries(USAGE_TABLES).map(([kind, { table, id }]) => [
    kind,
    `WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
     UPDATE ${table} AS t SET last_used_at = to_timestamp(u.used_at / 1000.0)
       FROM unnest($1::uuid[], $2::float8[]) AS u(id, used_at)
      WHERE (SELECT count(*) FROM async) = 1
        AND t.${id} = ANY ($1::uuid[]) AND t.${id} = u.id
        AND (t.last_used_at IS NULL OR t.last_used_at < to_timestamp(u.used_at / 1000.0))`,
  ]),
) as Record<UsageTable, string>;

/** How often the rows that are due are written. */
export const TICK_MS = 250;
/**
 * How long a row waits, from its first use, for more uses before it is written: each row is written
 * at most once in that time however often it is used, and the contract's 5 seconds leave the rest for
 * the write. Written as they come due, every 250 ms, the writes are both few and small (docs/performance.md).
 */
export const COALESCE_MS = 2_000;
/**
 * Rows a statement updates at most. A tick's rows go out in statements of this size spread over the
 * tick, not in one burst that stalls the fetches sharing PostgreSQL's cores; they commit
 * asynchronously, or each would wait for its own WAL flush (docs/performance.md).
 */
const ROWS_PER_STATEMENT = 100;
/** The share of a tick that its statements are spread over, leaving the rest as slack. */
const SPREAD_OF_TICK = 0.8;

/**
 * The rows used and not yet written, of one table: each with its latest use, in the order of their
 * first use (a Map keeps insertion order), and how many were first used in each recent tick.
 */
export class PendingUses {
  /** Row id → latest use, in epoch milliseconds (no object per use). */
  private readonly latest = new Map<string, number>();
  /** Rows first used in each tick still waiting, oldest first; the last one is the current tick. */
  private readonly firstUsedPerTick: number[] = [0];

  touch(id: string, at: number): void {
    if (!this.latest.has(id)) this.firstUsedPerTick[this.firstUsedPerTick.length - 1]++;
    this.latest.set(id, at);
  }

  /** A row whose write failed waits again, unless it was used since. */
  putBack(id: string, at: number): void {
    if (!this.latest.has(id)) this.touch(id, at);
  }

  /** Ends the current tick, and takes the rows first used more than COALESCE_MS ago. */
  takeDue(): [string, number][] {
    this.firstUsedPerTick.push(0);
    let due = 0;
    while (this.firstUsedPerTick.length > COALESCE_MS / TICK_MS + 1) due += this.firstUsedPerTick.shift()!;
    return this.take(due);
  }

  takeAll(): [string, number][] {
    this.firstUsedPerTick.fill(0);
    return this.take(this.latest.size);
  }

  private take(count: number): [string, number][] {
    const taken: [string, number][] = [];
    for (const entry of this.latest) {
      if (taken.length === count) break;
      taken.push(entry);
    }
    for (const [id] of taken) this.latest.delete(id);
    return taken;
  }
}

/**
 * Records `last_used_at` off the response path: a use marks the row in memory, and the rows are
 * written about 2 seconds after their first use, in UPDATEs of the rows that came due, spread over
 * the next 200 ms and committed asynchronously. A crash loses at most those seconds of timestamps.
 */
@Injectable()
export class LastUsedRecorder implements BeforeApplicationShutdown {
  private readonly pending: Record<UsageTable, PendingUses> = { api_keys: new PendingUses(), connections: new PendingUses() };
  private readonly timer: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {
    this.timer = setInterval(() => void this.write((uses) => uses.takeDue(), true), TICK_MS);
    this.timer.unref();
  }

  touch(table: UsageTable, id: string): void {
    this.pending[table].touch(id, Date.now());
  }

  /** Writes every pending timestamp now, due or not. */
  flush(): Promise<void> {
    return this.write((uses) => uses.takeAll(), false);
  }

  /**
   * Takes the rows now (so that what is due is decided on time) and writes them after the writes under
   * way; `spread`, over most of a tick, else as fast as they go.
   */
  private write(take: (uses: PendingUses) => [string, number][], spread: boolean): Promise<void> {
    const batches = (Object.keys(this.pending) as UsageTable[]).map((table) => [table, take(this.pending[table])] as const);
    // Most ticks of an idle service have nothing due: nothing to chain.
    if (batches.every(([, entries]) => entries.length === 0)) return this.writing;
    const statements = batches.reduce((sum, [, entries]) => sum + Math.ceil(entries.length / ROWS_PER_STATEMENT), 0);
    const spacing = spread ? (TICK_MS * SPREAD_OF_TICK) / statements : 0;
    this.writing = this.writing.then(async () => {
      for (const [table, entries] of batches) {
        for (let start = 0; start < entries.length; start += ROWS_PER_STATEMENT) {
          const started = Date.now();
          await this.update(table, entries.slice(start, start + ROWS_PER_STATEMENT));
          const wait = spacing - (Date.now() - started);
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    });
    return this.writing;
  }

  private async update(kind: UsageTable, entries: [string, number][]): Promise<void> {
    // Two replicas' statements then lock the rows they share in the same order, whichever plan runs:
    // the ids' order when the plan follows `unnest`, the table's when it is a hash join.
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    try {
      // Epoch milliseconds, not Dates: a number is far cheaper for the driver to write out.
      await this.dataSource.query(LAST_USED_UPDATES[kind], [entries.map(([id]) => id), entries.map(([, usedAt]) => usedAt)]);
    } catch {
      // The database is away: the rows wait again, unless they were used since.
      for (const [id, usedAt] of entries) this.pending[kind].putBack(id, usedAt);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.dataSource.isInitialized) await this.flush();
  }
}
