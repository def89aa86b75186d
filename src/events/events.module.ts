import { Global, Module } from '@nestjs/common';
import { ConnectionEvents } from './connection-events';

/** The outbox every feature writes its connection events into, in the transaction of the change. */
@Global()
@Module({
  providers: [ConnectionEvents],
  exports: [ConnectionEvents],
})
export class EventsModule {}
