import { Controller, Get, Header, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import type { AppRequest } from '../http/request-context';
import { FetchedCredentialsResponse } from './dto/fetched-credentials.response';
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
  @ApiErrors(403, 404, 409, 422, 503)
  fetch(@Req() request: AppRequest): Promise<FetchedCredentialsResponse> {
    // No parameter pipes on the hot path: the service checks the path and the query once, after the key.
    return this.credentials.fetch(request.principal!, String(request.id), (request.params as Record<string, unknown>).instance_id, request.query as Record<string, unknown>);
  }
}
