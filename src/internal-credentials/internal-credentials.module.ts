import { Module } from '@nestjs/common';
import { TokenRefreshModule } from '../token-refresh/token-refresh.module';
import { LastUsedModule } from '../last-used/last-used.module';
import { RequestMetrics } from '../metrics/request-metrics';
import { InternalCredentialsController } from './internal-credentials.controller';
import { FetchLookups } from './fetch-lookup';
import { InternalCredentialsService } from './internal-credentials.service';
import { ProxyKeyStrategy } from './proxy-key.strategy';

/** The runtime fetch, and the instance principal (proxy key) that exists for it. */
@Module({
  imports: [TokenRefreshModule, LastUsedModule],
  controllers: [InternalCredentialsController],
  providers: [InternalCredentialsService, FetchLookups, ProxyKeyStrategy],
})
export class InternalCredentialsModule {
  constructor(requestMetrics: RequestMetrics) {
    requestMetrics.countOutcomes(
      'GET',
      '/internal/v1/instances/:instance_id/connections',
      'hydracore_credential_fetches_total',
      'Credential fetches by outcome (the HTTP status: 200, 403, 404, 409, 503...)',
    );
  }
}
