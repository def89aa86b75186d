import { Controller, Get, NotFoundException, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Auth } from '../auth/auth.decorator';
import { ErrorResponse } from '../http/error-responses';
import { Metrics } from '../metrics/metrics';

@ApiTags('Metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @Auth('admin')
  @ApiOperation({
    operationId: 'metrics',
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'Request latency by method, route pattern and status; fetch and token-refresh outcomes; database pool use; event-loop lag and the process\u2019s own metrics. No label holds an id. Admin only.',
  })
  @ApiOkResponse({
    description: 'Prometheus text format 0.0.4',
    content: { 'text/plain': { schema: { type: 'string', example: 'hydracore_credential_fetches_total{outcome="200"} 1024\n' } } },
  })
  @ApiNotFoundResponse({ description: 'Metrics are turned off (METRICS_ENABLED=false)', type: ErrorResponse })
  async metricsText(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (!this.metrics.enabled) throw new NotFoundException('Metrics are turned off (METRICS_ENABLED=false)');
    void reply.header('Content-Type', this.metrics.contentType);
    return this.metrics.exposition();
  }
}
