import { DataSource, type DataSourceOptions, type Migration } from 'typeorm';
import { CONNECTION_SETTINGS, dataSourceOptions, type EntityList } from './data-source-options';

const { statement_timeout: _serviceTimeout, query_timeout: _answerTimeout, ...SETTINGS_BUT_THE_TIMEOUTS } = CONNECTION_SETTINGS;

/**
 * How migrations reach the database: one connection with no statement timeout, whatever the
 * database's own default. A migration that rewrites every row runs for as long as it needs
 * (GrantsProvider on 450,000 grants: 8-10 s warm, 66 s once cold), where the service's connections
 * stop any statement after 6 s. The start-up, `npm run migration:run`, the bench and the tests'
 * template all migrate through here, so a migration needs no timeout handling of its own.
 */
export function migrationDataSourceOptions(url: string, entities: EntityList = []): DataSourceOptions {
  // pg sends no `statement_timeout` of 0 (it skips a falsy one): the backend's `-c` option does.
  return { ...dataSourceOptions(url, entities), extra: { ...SETTINGS_BUT_THE_TIMEOUTS, max: 1, options: '-c statement_timeout=0' } };
}

/** Applies the pending migrations, each in its own transaction, and says which. */
export async function runPendingMigrations(url: string): Promise<Migration[]> {
  const dataSource = new DataSource(migrationDataSourceOptions(url));
  await dataSource.initialize();
  try {
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
