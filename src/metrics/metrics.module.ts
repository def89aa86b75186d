import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { Metrics } from './metrics';
import { RequestMetrics } from './request-metrics';

/** `Metrics` and `RequestMetrics` for every module, and `GET /metrics`. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [Metrics, RequestMetrics],
  exports: [Metrics, RequestMetrics],
})
export class MetricsModule {}
