/** Rows one statement writes at most. */
const MAX_BATCH = 1_000;

/**
 * Group commit: rows asked to be written in one turn of the event loop, and while earlier batches are
 * being written, go to the database together, in one statement and one commit, and each caller's
 * promise settles when that commit has (or has not) happened. Under load the fetches share a commit
 * (and its WAL flush) instead of paying one each; an idle service writes at once.
 */
export class GroupCommit<Row> {
  private queue: { row: Row; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  /**
   * `maxInFlight` statements at once: more batches wait, and grow, while these commit. One (the
   * default) makes the largest batches: under the benchmark's load 13.6 rows a commit against 8.5 with
   * two, for 12% more fetches a second (docs/performance.md).
   */
  constructor(
    private readonly write: (rows: Row[]) => Promise<void>,
    private readonly maxInFlight = 1,
  ) {}

  /** Resolves once the row is committed; rejects when its batch could not be. */
  add(row: Row): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when every row asked for so far has been written or failed. */
  drained(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.inFlight++;
    this.write(batch.map((entry) => entry.row)).then(
      () => batch.forEach((entry) => entry.resolve()),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    ).finally(() => {
      this.inFlight--;
      this.schedule();
      if (this.queue.length === 0 && this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    });
  };
}
