import { Socket } from 'node:net';
import { Client } from 'pg';
import { TurnWrites } from '../../src/database/pipelined-statements';

/** Counts the system-call-level writes of a client's socket: one per `_write` or `_writev` call. */
function countWrites(client: Client): { count: number } {
  const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  const counter = { count: 0 };
  const write = socket._write.bind(socket);
  const writev = socket._writev!.bind(socket);
  socket._write = (...args) => (counter.count++, write(...args));
  socket._writev = (...args) => (counter.count++, writev(...args));
  return counter;
}

describe('TurnWrites (pipelined queries asked for in one turn)', () => {
  let clients: Client[];

  beforeAll(async () => {
    clients = [0, 1].map(() => new Client({ connectionString: process.env.TEST_DATABASE_SERVER_URL, pipeline: true }));
    await Promise.all(clients.map((client) => client.connect()));
  });
  afterAll(() => Promise.all(clients.map((client) => client.end())));

  const statement = { name: 'turn_writes_echo', text: 'SELECT $1::int AS n' };
  const ask = (client: Client, n: number) => client.query<{ n: number }>({ ...statement, values: [n] }).then((result) => result.rows[0].n);

  it('without it, each query is a write of its own (the counter sees them)', async () => {
    const [client] = clients;
    await ask(client, 0);
    const writes = countWrites(client);
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => ask(client, n)))).toEqual([1, 2, 3, 4, 5]);
    expect(writes.count).toBe(5);
  });

  it('sends the queries of one turn in one write per connection, each answered, and holds nothing past the turn', async () => {
    const turnWrites = new TurnWrites();
    const counters = clients.map((client) => countWrites(client));
    const asked = Array.from({ length: 20 }, (_, n) => {
      const client = clients[n % 2];
      turnWrites.hold(client);
      return ask(client, n);
    });
    expect(await Promise.all(asked)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(counters.map((counter) => counter.count)).toEqual([1, 1]);

    // A later turn is sent on its own, and a query held alone is not kept waiting for company.
    turnWrites.hold(clients[0]);
    expect(await ask(clients[0], 42)).toBe(42);
    expect(counters.map((counter) => counter.count)).toEqual([2, 1]);
  });
});
