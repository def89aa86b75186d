import { GroupCommit } from '../../src/audit/group-commit';

describe('GroupCommit', () => {
  it('writes the rows asked for in one turn together, and settles each once its batch is written', async () => {
    const batches: number[][] = [];
    const commits = new GroupCommit<number>(async (rows) => {
      batches.push(rows);
    });
    const settled: number[] = [];
    await Promise.all([1, 2, 3].map((row) => commits.add(row).then(() => settled.push(row))));
    expect(batches).toEqual([[1, 2, 3]]);
    expect(settled).toEqual([1, 2, 3]);
  });

  it('lets rows pile up while the batches in flight commit, then writes them together', async () => {
    const batches: number[][] = [];
    const releases: (() => void)[] = [];
    const commits = new GroupCommit<number>((rows) => {
      batches.push(rows);
      return new Promise<void>((resolve) => releases.push(resolve));
    }, 1);
    const first = commits.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((row) => commits.add(row));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    releases[0]();
    await first;
    // The next batch goes out on the turn after the first one settles.
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    releases[1]();
    await Promise.all(later);
    await commits.drained();
  });

  it('rejects every row of a batch that could not be written, and goes on with the next', async () => {
    let fail = true;
    const commits = new GroupCommit<number>(async () => {
      if (fail) throw new Error('refused');
    });
    const results = await Promise.allSettled([commits.add(1), commits.add(2)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(commits.add(3)).resolves.toBeUndefined();
  });
});
