import { type DynamicModule, Module } from '@nestjs/common';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ConnectionsModule } from './connections/connections.module';
import { CryptoModule } from './crypto/crypto.module';
import { GrantsModule } from './grants/grants.module';
import { InternalCredentialsModule } from './internal-credentials/internal-credentials.module';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { CustomersModule } from './customers/customers.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { InstancesModule } from './instances/instances.module';
import type { AppLogger } from './logging/logger';
import { LoggingModule } from './logging/logging.module';

export interface AppModuleOptions {
  config: AppConfig;
  logger: AppLogger;
  /** `DATABASE_URL`, or the URL of the embedded PostgreSQL started for this process. */
  databaseUrl: string;
}

@Module({})
export class AppModule {
  static forRoot({ config, logger, databaseUrl }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot(databaseUrl),
        EventsModule,
        AuditModule,
        AuthModule,
        HealthModule,
        CustomersModule,
        ApiKeysModule,
        InstancesModule,
        CryptoModule,
        ConnectionsModule,
        GrantsModule,
        InternalCredentialsModule,
      ],
    };
  }
}
