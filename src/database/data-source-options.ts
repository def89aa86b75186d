import { Socket } from 'node:net';
import { Client, type ClientConfig } from 'pg';
import type { DataSourceOptions } from 'typeorm';

import { MIGRATIONS } from '../../migrations';

export type EntityList = NonNullable<DataSourceOptions['entities']>;

/**
 * What every connection the service opens is opened with: TypeORM's pool and the pipelined lookups
 * alike. A database that stops answering (packets dropped, not refused) must give a 503 within 10 s,
 * so every wait on it is bounded on this side: a connection in 3 s (also the wait for a free one in the
 * pool), an answer in 7 s. The server's own `statement_timeout` is shorter, so that a query that is
 * merely slow is cancelled by PostgreSQL, with its connection kept, before the client gives up on it.
 * Keepalive probes find a peer that vanished while its connections sat idle.
 */
export const CONNECTION_SETTINGS = {
  connectionTimeoutMillis: 3_000,
  query_timeout: 7_000,
  statement_timeout: 6_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 5_000,
  application_name: 'hydracore-connections',
};

const QUERY_READ_TIMEOUT = 'Query read timeout';

/**
 * A pooled connection that closes itself when a query of it gets no answer in time: pg then fails
 * the query but keeps the connection, which would hand the next request the same silent socket.
 * Closed, it leaves the pool, and the next request opens a new one (or fails fast, a 503).
 */
export class ClosingOnSilenceClient extends Client {
  /** Ours, handed to pg through its public `stream` option, so that we may close it. */
  private readonly socket: Socket;

  constructor(config: ClientConfig) {
    const socket = new Socket();
    super({ ...config, stream: () => socket });
    this.socket = socket;
  }

  // The signature of pg's many overloads, passed through unchanged.
  override query(...args: unknown[]): never {
    const result = (super.query as (...args: unknown[]) => unknown)(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (error instanceof Error && error.message === QUERY_READ_TIMEOUT) this.closeSilentConnection();
      });
    }
    return result as never;
  }

  private closeSilentConnection(): void {
    this.socket.destroy();
  }
}

/**
 * The one description of how the service reaches its database: used by the app, the CLI and the tests.
 * `entities` come from the caller (the app module composes them, `src/entities.ts`): infrastructure knows no feature.
 */
export function dataSourceOptions(url: string, entities: EntityList = []): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install, no superuser needed.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    // The schema comes from migrations only.
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: 20, ...CONNECTION_SETTINGS, Client: ClosingOnSilenceClient },
  };
}
