import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { LastUsedModule } from '../last-used/last-used.module';
import { JwtVerifier } from './jwt-verifier';
import { PrincipalGuard } from './principal.guard';
import { CustomerOrAdminStrategy } from './strategies/customer-or-admin.strategy';

/** The admin and customer principals, and the global guard. The instance principal is the runtime fetch's: see internal-credentials. */
@Module({
  imports: [LastUsedModule],
  providers: [JwtVerifier, CustomerOrAdminStrategy, { provide: APP_GUARD, useClass: PrincipalGuard }],
})
export class AuthModule {}
