import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options';
import { LastUsedRecorder } from './last-used-recorder';
import { PipelinedStatements } from './pipelined-statements';
import { PreparedStatements } from './prepared-statements';

/** The TypeORM data source on `url`; pending migrations are applied when the service starts. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: string) {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(url),
          migrationsRun: true,
          migrationsTransactionMode: 'each',
          retryAttempts: 10,
          retryDelay: 2_000,
        }),
      ],
      providers: [PreparedStatements, PipelinedStatements, LastUsedRecorder],
      exports: [PreparedStatements, PipelinedStatements, LastUsedRecorder],
    };
  }
}
