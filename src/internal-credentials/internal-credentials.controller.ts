import { Controller, Get, Header, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { uuidPathValue } from '../http/uuid-param';
import { FetchedCredentialsResponse } from './dto/fetched-credentials.response';
import { parseFetchQuery } from './fetch-query';
import type { FetchRequest } from './granted-connections';
import { InternalCredentialsService } from './internal-credentials.service';
import { EXAMPLE } from '../http/openapi-examples';

@ApiTags('Internal credentials')
@Controller('internal/v1/instances/:instance_id/connections')
export class InternalCredentialsController {
  constructor(private readonly credentials: InternalCredentialsService) {}

  @Get()
  @Auth('instance')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'fetchConnectionCredentials',
    summary: 'Fetch Connection Credentials',
    description: 'Runtime fetches connection credentials. Auth: Bearer proxy key. Returns { "credentials": {...}, "capabilities": [...] }',
  })
  @ApiQuery({ name: 'provider', required: true, schema: { type: 'string', minLength: 1, maxLength: 50, example: 'gmail' } })
  @ApiQuery({ name: 'name', required: false, schema: { type: 'string', minLength: 1, maxLength: 255, example: 'admin@iqm.com.au' } })
  @ApiQuery({
    name: 'capability',
    required: false,
    description: 'Required capability (e.g. send_mail). If specified, 403 if grant doesn\u2019t include it.',
    schema: { type: 'string', minLength: 1, maxLength: 100, example: 'send_mail' },
  })
  // Below the queries, so that it comes first in the document, as it did when `@Param` declared it.
  @ApiParam({ name: 'instance_id', type: String, format: 'uuid', example: EXAMPLE.instanceId })
  @ApiOkResponse({ type: FetchedCredentialsResponse })
  @ApiErrors(403, 404, 409, 422)
  fetch(@Req() request: FetchRequest): FetchedCredentialsResponse {
    // The path and the query are checked here, in the order parameter pipes would check them, and
    // not by pipes: a handler with no pipeable parameter runs none, and each pipe run costs the hot
    // path promises and allocations (docs/performance.md). The proxy-key strategy has found the
    // granted connections of the asked provider and name.
    uuidPathValue((request.params as Record<string, unknown>).instance_id, 'instance_id');
    return this.credentials.fetch(parseFetchQuery(request.query as Record<string, unknown>), request.grantedConnections ?? []);
  }
}
