import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Tables whose `last_used_at` is recorded. */
type UsageTable = 'api_keys' | 'connections';

/** Pending `last_used_at` writes are flushed this often; the contract allows 5 seconds. */
const FLUSH_INTERVAL_MS = 1_000;

/**
 * Records `last_used_at` off the response path: a use marks the row in memory, and one UPDATE per
 * table every second writes the batch. A crash loses at most the last second of timestamps.
 */
@Injectable()
export class LastUsedRecorder implements BeforeApplicationShutdown {
  /** Row id → when it was last used (epoch milliseconds: no object per use). */
  private pending: Record<UsageTable, Map<string, number>> = { api_keys: new Map(), connections: new Map() };
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  touch(table: UsageTable, id: string): void {
    this.pending[table].set(id, Date.now());
  }

  /** Writes every pending timestamp; concurrent calls wait for the one under way. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const batches = this.pending;
    this.pending = { api_keys: new Map(), connections: new Map() };
    for (const table of Object.keys(batches) as UsageTable[]) {
      const batch = batches[table];
      if (batch.size === 0) continue;
      try {
        await this.dataSource.query(
          `UPDATE ${table} AS t SET last_used_at = GREATEST(t.last_used_at, u.used_at)
           FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, used_at) WHERE t.id = u.id`,
          [[...batch.keys()], Array.from(batch.values(), (usedAt) => new Date(usedAt))],
        );
      } catch {
        // The database is away: keep the newest timestamps for the next flush.
        for (const [id, usedAt] of batch) if (!this.pending[table].has(id)) this.pending[table].set(id, usedAt);
      }
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.dataSource.isInitialized) await this.flush();
  }
}
