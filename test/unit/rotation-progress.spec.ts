import type { TableRotation } from '../../src/crypto/key-rotation';
import { RotationProgress } from '../../src/crypto/rotation-progress';

function progressOf(done: number, total: number, finished = false): TableRotation {
  return { table: 'connections', done, total, rewrapped: done, failed: [], finished };
}

describe('RotationProgress', () => {
  let now: number;
  let written: string[];
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
    written = [];
  });

  it('on a terminal: one line rewritten in place with the count of the total, the rate and the ETA', () => {
    const progress = new RotationProgress({ isTTY: true, write: (text) => written.push(text) }, clock);
    progress.update(progressOf(0, 10_000));
    now += 2_000;
    progress.update(progressOf(4_000, 10_000));
    now += 1_000;
    progress.update(progressOf(10_000, 10_000, true));
    expect(written).toEqual([
      '\r\x1b[2Kconnections: 0 of 10,000 (0%), 0 rows/s, ETA ?',
      '\r\x1b[2Kconnections: 4,000 of 10,000 (40%), 2,000 rows/s, ETA 3 s',
      '\r\x1b[2Kconnections: 10,000 of 10,000 (100%), 3,333 rows/s, done in 3.0 s\n',
    ]);
  });

  it('elsewhere: a JSON line at the start, then at most one every interval, and at the end', () => {
    const progress = new RotationProgress({ isTTY: false, write: (text) => written.push(text) }, clock, 5_000);
    progress.update(progressOf(0, 1_000));
    for (let done = 100; done < 1_000; done += 100) {
      now += 1_000;
      progress.update(progressOf(done, 1_000));
    }
    now += 1_000;
    progress.update(progressOf(1_000, 1_000, true));
    const lines = written.map((line) => JSON.parse(line));
    expect(written.every((line) => line.endsWith('\n'))).toBe(true);
    expect(lines.map((line) => [line.event, line.done])).toEqual([
      ['table_start', 0],
      ['progress', 500],
      ['table_done', 1_000],
    ]);
    expect(lines[1]).toEqual({ event: 'progress', table: 'connections', done: 500, total: 1_000, rewrapped: 500, failed: 0, rate_per_s: 100, eta_s: 5 });
  });
});
