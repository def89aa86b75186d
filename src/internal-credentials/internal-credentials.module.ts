import { Module } from '@nestjs/common';
import { LastUsedModule } from '../last-used/last-used.module';
import { InternalCredentialsController } from './internal-credentials.controller';
import { GrantedConnections } from './granted-connections';
import { InternalCredentialsService } from './internal-credentials.service';
import { ProxyKeyStrategy } from './proxy-key.strategy';

/** The runtime fetch, and the instance principal (proxy key) that exists for it. */
@Module({
  imports: [LastUsedModule],
  controllers: [InternalCredentialsController],
  providers: [InternalCredentialsService, GrantedConnections, ProxyKeyStrategy],
})
export class InternalCredentialsModule {}
