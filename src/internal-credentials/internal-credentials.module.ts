import { Module } from '@nestjs/common';
import { InternalCredentialsController } from './internal-credentials.controller';
import { InternalCredentialsService } from './internal-credentials.service';

@Module({
  controllers: [InternalCredentialsController],
  providers: [InternalCredentialsService],
})
export class InternalCredentialsModule {}
