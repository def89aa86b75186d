import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

/** What every connection the service opens is opened with: TypeORM's pool and the pipelined lookups alike. */
export const CONNECTION_SETTINGS = {
  connectionTimeoutMillis: 5_000,
  // Keep a failing query from holding a request forever.
  statement_timeout: 10_000,
  application_name: 'hydracore-connections',
};

/** The one description of how the service reaches its database: used by the app, the CLI and the tests. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install, no superuser needed.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    // The schema comes from migrations only.
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: 20, ...CONNECTION_SETTINGS },
  };
}
