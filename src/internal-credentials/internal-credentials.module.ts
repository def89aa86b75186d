import { Module } from '@nestjs/common';
import { TokenRefreshModule } from '../token-refresh/token-refresh.module';
import { LastUsedModule } from '../last-used/last-used.module';
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
export class InternalCredentialsModule {}
