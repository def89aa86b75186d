import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module';
import { BackgroundRefresher } from './background-refresher';
import { ConnectionRefreshController } from './connection-refresh.controller';
import { ConnectionRefreshService } from './connection-refresh.service';
import { RefreshEngine } from './refresh-engine';

/** Keeps OAuth2 connections alive: the single-flight refresh engine, the background refresher, `POST …/refresh`. */
@Module({
  imports: [ConnectionsModule],
  controllers: [ConnectionRefreshController],
  providers: [RefreshEngine, BackgroundRefresher, ConnectionRefreshService],
  exports: [RefreshEngine],
})
export class TokenRefreshModule {}
