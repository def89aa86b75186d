import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { Client, type ClientConfig, type QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { CONNECTION_SETTINGS } from './data-source-options';
import type { PreparedStatement } from './prepared-statements';

/**
 * One: a connection carries any number of queries at once, and one PostgreSQL backend answers these
 * short lookups several times faster than this process can serve fetches. A second costs a second
 * write and a second wake-up per turn: 5% fewer fetches a second on the 2-vCPU host (docs/performance.md).
 */
const PIPELINED_CONNECTIONS = 1;

/**
 * The short lookups of the hot path (a key's hash to its holder, with the fetch's granted connections),
 * as named statements pipelined over a few connections of their own: each query is sent when it is
 * asked for, without waiting for the answer to the one before it, so PostgreSQL answers several per
 * wake-up (docs/performance.md). The queries asked for in one turn of the event loop go out together
 * (`TurnWrites`).
 *
 * Only for statements of bounded cost, found by unique index: a slow one would hold up every query
 * pipelined behind it. A connection that fails is dropped (its queries fail, and the request is a
 * 503), and the next query opens a new one, so the lookups recover by themselves with the database.
 */
@Injectable()
export class PipelinedStatements implements OnApplicationShutdown {
  private readonly clients: (HeldClient | undefined)[] = new Array(PIPELINED_CONNECTIONS).fill(undefined);
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
    const { client, socket } = this.client();
    this.writes.hold(socket);
    const result = await client.query<T>({ name: statement.name, text: statement.text, values });
    return result.rows;
  }

  private client(): HeldClient {
    if (this.closed) throw new Error('Connection terminated: the service is shutting down');
    const slot = this.next;
    this.next = (slot + 1) % PIPELINED_CONNECTIONS;
    return (this.clients[slot] ??= this.open(slot));
  }

  /** Queries asked for while it connects wait in the client, and fail with it if it cannot. */
  private open(slot: number): HeldClient {
    const opened = clientWithOwnSocket({ connectionString: this.url, ...CONNECTION_SETTINGS, pipeline: true });
    const drop = () => {
      if (this.clients[slot] === opened) this.clients[slot] = undefined;
    };
    opened.client.on('error', drop);
    opened.client.on('end', drop);
    opened.client.connect().catch(drop);
    return opened;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all(this.clients.map((held) => held?.client.end().catch(() => undefined)));
  }
}

/** A pg client and the socket it talks over, which we create and pass in (pg's `stream` option) to cork it. */
export interface HeldClient {
  client: Client;
  socket: Socket;
}

/** A client whose socket is ours: pg connects it (and wraps it for TLS), we only cork and uncork it. */
export function clientWithOwnSocket(config: ClientConfig): HeldClient {
  const socket = new Socket();
  return { client: new Client({ ...config, stream: () => socket }), socket };
}

/**
 * Holds a connection's writes to PostgreSQL until the end of the event loop's turn (`setImmediate`),
 * so that the queries asked for in one turn go out in one write per connection instead of one each:
 * a write to a local socket is a system call that also wakes PostgreSQL (docs/performance.md). A query
 * waits at most for the rest of its turn's callbacks; an idle service sends at once.
 */
export class TurnWrites {
  private readonly held: Writable[] = [];

  hold(socket: Writable): void {
    // A socket corked more than once needs as many uncorks.
    if (this.held.includes(socket)) return;
    socket.cork();
    if (this.held.push(socket) === 1) setImmediate(this.release);
  }

  private readonly release = (): void => {
    for (const stream of this.held.splice(0)) stream.uncork();
  };
}
