import { Module } from '@nestjs/common';
import { LastUsedRecorder } from './last-used-recorder';

/** `last_used_at` of API keys (recorded by authentication) and of connections (recorded by the fetch). */
@Module({
  providers: [LastUsedRecorder],
  exports: [LastUsedRecorder],
})
export class LastUsedModule {}
