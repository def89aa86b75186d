import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Grant } from './grant.entity';
import { GrantsController } from './grants.controller';
import { GrantsService } from './grants.service';

@Module({
  imports: [TypeOrmModule.forFeature([Grant])],
  controllers: [GrantsController],
  providers: [GrantsService],
})
export class GrantsModule {}
