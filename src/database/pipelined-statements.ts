import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Writable } from 'node:stream';
import { Client, type QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { CONNECTION_SETTINGS } from './data-source-options';
import type { PreparedStatement } from './prepared-statements';

/** Enough to keep both sides busy on a small host; each connection carries any number of queries at once. */
const PIPELINED_CONNECTIONS = 2;

/**
 * The short lookups of the hot path (a key's hash to its holder, with the fetch's granted connections),
 * as named statements pipelined over a few connections of their own: each query is sent when it is
 * asked for, without waiting for the answer to the one before it. Under load PostgreSQL then reads and
 * answers several queries for each time it wakes up, instead of one per connection: in `npm run bench`
 * its CPU per fetch went from about 150 to 70-95 µs, and the Node process's fell by about 50 µs. The
 * queries asked for in one turn of the event loop go out together (`TurnWrites`).
 *
 * Only for statements of bounded cost, found by unique index: a slow one would hold up every query
 * pipelined behind it. A connection that fails is dropped (its queries fail, and the request is a
 * 503), and the next query opens a new one, so the lookups recover by themselves with the database.
 */
@Injectable()
export class PipelinedStatements implements OnApplicationShutdown {
  private readonly clients: (Client | undefined)[] = new Array(PIPELINED_CONNECTIONS).fill(undefined);
  private readonly url: string;
  private readonly writes = new TurnWrites();
  private next = 0;
  private closed = false;

  constructor(dataSource: DataSource) {
    this.url = (dataSource.options as PostgresDataSourceOptions).url!;
  }

  /** How many connections are open (or opening) now. */
  get openConnections(): number {
    return this.clients.filter((client) => client !== undefined).length;
  }

  async rows<T extends QueryResultRow>(statement: Required<PreparedStatement>, values: unknown[]): Promise<T[]> {
    const client = this.client();
    this.writes.hold(client);
    const result = await client.query<T>({ name: statement.name, text: statement.text, values });
    return result.rows;
  }

  private client(): Client {
    if (this.closed) throw new Error('Connection terminated: the service is shutting down');
    const slot = this.next;
    this.next = (slot + 1) % PIPELINED_CONNECTIONS;
    return (this.clients[slot] ??= this.open(slot));
  }

  /** Queries asked for while it connects wait in the client, and fail with it if it cannot. */
  private open(slot: number): Client {
    const client = new Client({ connectionString: this.url, ...CONNECTION_SETTINGS, pipeline: true });
    const drop = () => {
      if (this.clients[slot] === client) this.clients[slot] = undefined;
    };
    client.on('error', drop);
    client.on('end', drop);
    client.connect().catch(drop);
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all(this.clients.map((client) => client?.end().catch(() => undefined)));
  }
}

/**
 * Holds a client's writes to PostgreSQL until the end of the event loop's turn (`setImmediate`), so
 * that the queries asked for in one turn, by the requests read together, go out in one write per
 * connection instead of one each. A write to a local socket is a system call that also wakes
 * PostgreSQL, and under the fetch it was the Node process's largest cost (`writev`, 29% of its CPU
 * profile at 1M). In alternating runs at 1M: the service 3,979 → 4,639 req/s and p99 18 → 16 ms
 * (means of four runs each); the floor, which holds its writes the same way, 5,012 → 6,106 req/s.
 * A query waits at most for the rest of the callbacks of the turn that asked for it; an idle
 * service sends at once.
 */
export class TurnWrites {
  private readonly held: Writable[] = [];

  hold(client: Client): void {
    // pg keeps its socket on `connection.stream`; a socket corked more than once needs as many uncorks.
    const stream = (client as unknown as { connection: { stream: Writable } }).connection.stream;
    if (this.held.includes(stream)) return;
    stream.cork();
    if (this.held.push(stream) === 1) setImmediate(this.release);
  }

  private readonly release = (): void => {
    for (const stream of this.held.splice(0)) stream.uncork();
  };
}
