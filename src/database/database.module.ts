import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DatabaseMetrics } from './database-metrics';
import { dataSourceOptions, type EntityList } from './data-source-options';
import { runPendingMigrations } from './migrate';
import { PipelinedStatements } from './pipelined-statements';
import { PreparedStatements } from './prepared-statements';

/**
 * The TypeORM data source on `url`. Pending migrations are applied first, when the service starts, on
 * a connection of their own without the service's statement timeout (`runPendingMigrations`); both
 * are retried while the database is not reachable yet.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: string, entities: EntityList) {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(url, entities), retryAttempts: 10, retryDelay: 2_000 }),
          dataSourceFactory: async (options) => {
            await runPendingMigrations(url);
            return new DataSource(options!);
          },
        }),
      ],
      providers: [PreparedStatements, PipelinedStatements, DatabaseMetrics],
      exports: [PreparedStatements, PipelinedStatements],
    };
  }
}
