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
import { OutboundModule } from './outbound/outbound.module';
import { OAuthAppsModule } from './oauth-apps/oauth-apps.module';
import { TokenRefreshModule } from './token-refresh/token-refresh.module';
import { DEFAULT_REFRESH_SCHEDULE, REFRESH_SCHEDULE, type RefreshSchedule } from './token-refresh/refresh-schedule';
import { ENTITIES } from './entities';
import { HealthModule } from './health/health.module';
import { InstancesModule } from './instances/instances.module';
import type { AppLogger } from './logging/logger';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { WebhooksModule } from './webhooks/webhooks.module';

export interface AppModuleOptions {
  config: AppConfig;
  logger: AppLogger;
  /** `DATABASE_URL`, or the URL of the embedded PostgreSQL started for this process. */
  databaseUrl: string;
  /** Shorter refresh intervals, for tests. */
  refreshSchedule?: Partial<RefreshSchedule>;
}

@Module({})
export class AppModule {
  static forRoot({ config, logger, databaseUrl, refreshSchedule }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      global: true,
      providers: [{ provide: REFRESH_SCHEDULE, useValue: { ...DEFAULT_REFRESH_SCHEDULE, ...refreshSchedule } }],
      exports: [REFRESH_SCHEDULE],
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        MetricsModule,
        DatabaseModule.forRoot(databaseUrl, ENTITIES),
        EventsModule,
        OutboundModule,
        AuditModule,
        AuthModule,
        HealthModule,
        CustomersModule,
        ApiKeysModule,
        InstancesModule,
        CryptoModule,
        ConnectionsModule,
        GrantsModule,
        OAuthAppsModule,
        TokenRefreshModule,
        InternalCredentialsModule,
        WebhooksModule,
      ],
    };
  }
}
