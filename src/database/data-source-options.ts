import type { DataSourceOptions } from 'typeorm';

export type EntityList = NonNullable<DataSourceOptions['entities']>;
import { MIGRATIONS } from '../../migrations';

/** What every connection the service opens is opened with: TypeORM's pool and the pipelined lookups alike. */
export const CONNECTION_SETTINGS = {
  connectionTimeoutMillis: 5_000,
  // Keep a failing query from holding a request forever.
  statement_timeout: 10_000,
  application_name: 'hydracore-connections',
};

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
    extra: { max: 20, ...CONNECTION_SETTINGS },
  };
}
