import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { CredentialSealer, KeyRing } from './credential-sealer';

/** Seals and opens connection credentials with the configured master keys. */
@Global()
@Module({
  providers: [
    {
      provide: CredentialSealer,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new CredentialSealer(new KeyRing(config.activeKey, config.previousKeys)),
    },
  ],
  exports: [CredentialSealer],
})
export class CryptoModule {}
