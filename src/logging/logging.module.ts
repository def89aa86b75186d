import { Global, Module } from '@nestjs/common';
import { APP_LOGGER, type AppLogger } from './logger';

@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: AppLogger) {
    return { module: LoggingModule, providers: [{ provide: APP_LOGGER, useValue: logger }], exports: [APP_LOGGER] };
  }
}
