import { Global, Module } from '@nestjs/common';
import { OutboundClient } from './outbound-client';

/** The one client of every call that leaves the process. */
@Global()
@Module({ providers: [OutboundClient], exports: [OutboundClient] })
export class OutboundModule {}
