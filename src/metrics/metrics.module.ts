import { Global, Module } from '@nestjs/common';
import { Metrics } from './metrics';
import { RequestMetrics } from './request-metrics';

/** `Metrics` and `RequestMetrics` for every module (`GET /metrics` is served by the health module). */
@Global()
@Module({
  providers: [Metrics, RequestMetrics],
  exports: [Metrics, RequestMetrics],
})
export class MetricsModule {}
