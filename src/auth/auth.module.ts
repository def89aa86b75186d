import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtVerifier } from './jwt-verifier';
import { PrincipalGuard } from './principal.guard';
import { CustomerOrAdminStrategy } from './strategies/customer-or-admin.strategy';
import { InstanceProxyKeyStrategy } from './strategies/instance-proxy-key.strategy';

@Module({
  providers: [JwtVerifier, CustomerOrAdminStrategy, InstanceProxyKeyStrategy, { provide: APP_GUARD, useClass: PrincipalGuard }],
})
export class AuthModule {}
