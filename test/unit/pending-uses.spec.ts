import { COALESCE_MS, PendingUses, TICK_MS } from '../../src/last-used/last-used-recorder';

/** The ticks after which a row first used in the current tick is due. */
const TICKS_TO_DUE = COALESCE_MS / TICK_MS;

function ticks(uses: PendingUses, count: number): [string, number][][] {
  return Array.from({ length: count }, () => uses.takeDue());
}

describe('PendingUses', () => {
  it('holds a row for COALESCE_MS from its first use, then gives its latest use once', () => {
    const uses = new PendingUses();
    uses.touch('a', 1);
    uses.touch('a', 5);
    const taken = ticks(uses, TICKS_TO_DUE + 1);
    expect(taken.slice(0, TICKS_TO_DUE).flat()).toEqual([]);
    expect(taken[TICKS_TO_DUE]).toEqual([['a', 5]]);
    expect(ticks(uses, TICKS_TO_DUE + 1).flat()).toEqual([]);
  });

  it('keeps the first use’s place: a row used again later is not held longer', () => {
    const uses = new PendingUses();
    uses.touch('a', 1);
    uses.takeDue();
    uses.touch('b', 2);
    uses.touch('a', 3);
    const taken = ticks(uses, TICKS_TO_DUE + 1);
    expect(taken[TICKS_TO_DUE - 1]).toEqual([['a', 3]]);
    expect(taken[TICKS_TO_DUE]).toEqual([['b', 2]]);
  });

  it('starts a new wait for a row used after it was taken', () => {
    const uses = new PendingUses();
    uses.touch('a', 1);
    expect(ticks(uses, TICKS_TO_DUE + 1)[TICKS_TO_DUE]).toEqual([['a', 1]]);
    uses.touch('a', 9);
    expect(ticks(uses, TICKS_TO_DUE + 1)[TICKS_TO_DUE]).toEqual([['a', 9]]);
  });

  it('takes everything at once when flushed, and counts nothing twice afterwards', () => {
    const uses = new PendingUses();
    uses.touch('a', 1);
    uses.takeDue();
    uses.touch('b', 2);
    expect(uses.takeAll()).toEqual([['a', 1], ['b', 2]]);
    uses.touch('c', 3);
    const taken = ticks(uses, TICKS_TO_DUE + 1);
    expect(taken.slice(0, TICKS_TO_DUE).flat()).toEqual([]);
    expect(taken[TICKS_TO_DUE]).toEqual([['c', 3]]);
  });

  it('puts back a row whose write failed, unless it was used since', () => {
    const uses = new PendingUses();
    uses.touch('a', 1);
    uses.touch('b', 2);
    const [first, second] = uses.takeAll();
    uses.touch('b', 7);
    uses.putBack(...first);
    uses.putBack(...second);
    expect(uses.takeAll()).toEqual([['b', 7], ['a', 1]]);
  });
});
