import { Global, Module } from '@nestjs/common';
import { OutboundClient } from './outbound-client';

/** Every call that leaves the process goes through `OutboundClient`. */
@Global()
@Module({
  providers: [OutboundClient],
  exports: [OutboundClient],
})
export class OutboundModule {}
