import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OAuthApp } from './oauth-app.entity';
import { OAuthAppsController } from './oauth-apps.controller';
import { OAuthAppsService } from './oauth-apps.service';

/** The customers' OAuth2 clients, one per provider, which the token refresh uses. */
@Module({
  imports: [TypeOrmModule.forFeature([OAuthApp])],
  controllers: [OAuthAppsController],
  providers: [OAuthAppsService],
})
export class OAuthAppsModule {}
