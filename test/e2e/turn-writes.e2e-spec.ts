import type { Socket } from 'node:net';
import { clientWithOwnSocket, type HeldClient, TurnWrites } from '../../src/database/pipelined-statements';

/** Counts the system-call-level writes of a socket: one per `_write` or `_writev` call. */
function countWrites(socket: Socket): { count: number } {
  const counter = { count: 0 };
  const write = socket._write.bind(socket);
  const writev = socket._writev!.bind(socket);
  socket._write = (...args) => (counter.count++, write(...args));
  socket._writev = (...args) => (counter.count++, writev(...args));
  return counter;
}

describe('TurnWrites (pipelined queries asked for in one turn)', () => {
  let held: HeldClient[];

  beforeAll(async () => {
    held = [0, 1].map(() => clientWithOwnSocket({ connectionString: process.env.TEST_DATABASE_SERVER_URL, pipeline: true }));
    await Promise.all(held.map(({ client }) => client.connect()));
  });
  afterAll(() => Promise.all(held.map(({ client }) => client.end())));

  const statement = { name: 'turn_writes_echo', text: 'SELECT $1::int AS n' };
  const ask = ({ client }: HeldClient, n: number) => client.query<{ n: number }>({ ...statement, values: [n] }).then((result) => result.rows[0].n);

  it('talks over the socket it was given (pg connected it: the client answers)', async () => {
    expect(held.map(({ socket }) => socket.remotePort)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(await ask(held[0], 7)).toBe(7);
  });

  it('without it, each query is a write of its own (the counter sees them)', async () => {
    const [first] = held;
    await ask(first, 0);
    const writes = countWrites(first.socket);
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => ask(first, n)))).toEqual([1, 2, 3, 4, 5]);
    expect(writes.count).toBe(5);
  });

  it('sends the queries of one turn in one write per connection, each answered, and holds nothing past the turn', async () => {
    const turnWrites = new TurnWrites();
    const counters = held.map(({ socket }) => countWrites(socket));
    const asked = Array.from({ length: 20 }, (_, n) => {
      const target = held[n % 2];
      turnWrites.hold(target.socket);
      return ask(target, n);
    });
    expect(await Promise.all(asked)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(counters.map((counter) => counter.count)).toEqual([1, 1]);

    // A later turn is sent on its own, and a query held alone is not kept waiting for company.
    turnWrites.hold(held[0].socket);
    expect(await ask(held[0], 42)).toBe(42);
    expect(counters.map((counter) => counter.count)).toEqual([2, 1]);
  });
});
