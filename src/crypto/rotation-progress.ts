import type { TableRotation } from './key-rotation';

/** Where progress goes: a terminal gets one line rewritten in place, anything else JSON lines. */
export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** How often a JSON progress line is written when the output is not a terminal. */
export const JSON_PROGRESS_INTERVAL_MS = 5_000;

/**
 * The progress of `keys:rotate`. On a terminal: `connections: 1,234 of 10,000 (12%), 2,345 rows/s,
 * ETA 4 s`, rewritten as it goes. Otherwise (a log, a CI job): a JSON line when a table starts, every
 * JSON_PROGRESS_INTERVAL_MS, and when it is done.
 */
export class RotationProgress {
  private tableStartedAt = 0;
  private lastLineAt = 0;

  constructor(
    private readonly output: ProgressOutput,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = JSON_PROGRESS_INTERVAL_MS,
  ) {}

  update(progress: TableRotation): void {
    const now = this.now();
    const starting = progress.done === 0 && !progress.finished;
    if (starting) this.tableStartedAt = now;
    const elapsedS = (now - this.tableStartedAt) / 1000;
    const ratePerS = elapsedS > 0 ? progress.done / elapsedS : 0;
    const etaS = ratePerS > 0 ? Math.ceil((progress.total - progress.done) / ratePerS) : null;
    if (this.output.isTTY) {
      const percent = progress.total === 0 ? 100 : Math.floor((progress.done / progress.total) * 100);
      const line =
        `${progress.table}: ${progress.done.toLocaleString('en')} of ${progress.total.toLocaleString('en')} (${percent}%), ` +
        `${Math.round(ratePerS).toLocaleString('en')} rows/s, ${progress.finished ? `done in ${elapsedS.toFixed(1)} s` : `ETA ${etaS === null ? '?' : `${etaS} s`}`}`;
      this.output.write(`\r\x1b[2K${line}${progress.finished ? '\n' : ''}`);
      return;
    }
    if (!starting && !progress.finished && now - this.lastLineAt < this.intervalMs) return;
    this.lastLineAt = now;
    this.output.write(
      JSON.stringify({
        event: progress.finished ? 'table_done' : starting ? 'table_start' : 'progress',
        table: progress.table,
        done: progress.done,
        total: progress.total,
        rewrapped: progress.rewrapped,
        failed: progress.failed.length,
        rate_per_s: Math.round(ratePerS),
        eta_s: progress.finished ? 0 : etaS,
      }) + '\n',
    );
  }
}
