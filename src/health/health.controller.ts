import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorator';
import { ErrorResponse } from '../http/error-responses';
import { Readiness } from './readiness';

class HealthResponse {
  @ApiProperty({ example: 'ok' })
  status: string;
}

@ApiTags('Health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly readiness: Readiness,
  ) {}

  @Get('live')
  @Public()
  @ApiOperation({
    operationId: 'live',
    summary: 'The process is up',
    description: 'Answers 200 while the process runs, whatever the database does: for a liveness probe.',
  })
  @ApiOkResponse({ type: HealthResponse })
  live(): HealthResponse {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOperation({
    operationId: 'ready',
    summary: 'The database is reachable, every migration is applied, and the service is not shutting down',
    description: 'Answers 200 when the database answers, every migration is applied and no SIGTERM was received, else 503: for a readiness probe or a load balancer.',
  })
  @ApiOkResponse({ type: HealthResponse })
  @ApiServiceUnavailableResponse({ type: ErrorResponse })
  async ready(): Promise<HealthResponse> {
    if (this.readiness.isShuttingDown) throw new ServiceUnavailableException('The service is shutting down');
    let pending: boolean;
    try {
      pending = await this.dataSource.showMigrations();
    } catch {
      throw new ServiceUnavailableException('The database is unreachable');
    }
    if (pending) throw new ServiceUnavailableException('Migrations are pending');
    return { status: 'ok' };
  }
}
