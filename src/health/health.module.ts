import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { Readiness } from './readiness';

/** The operator's routes: liveness, readiness and `GET /metrics`. */
@Module({ controllers: [HealthController, MetricsController], providers: [Readiness], exports: [Readiness] })
export class HealthModule {}
