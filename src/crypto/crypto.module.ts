import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { configuredSealer, CredentialSealer } from './credential-sealer';

/** Seals and opens connection credentials with the configured master keys. */
@Global()
@Module({
  providers: [
    {
      provide: CredentialSealer,
      inject: [AppConfig],
      useFactory: configuredSealer,
    },
  ],
  exports: [CredentialSealer],
})
export class CryptoModule {}
