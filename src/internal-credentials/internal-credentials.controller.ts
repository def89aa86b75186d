import { Controller, createParamDecorator, type ExecutionContext, Get, Header, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import type { AppRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { FetchedCredentialsResponse } from './dto/fetched-credentials.response';
import { type FetchQuery, FetchQueryPipe } from './fetch-query';
import type { GrantedConnectionRow } from './granted-connections';
import { InternalCredentialsService } from './internal-credentials.service';

/** The connections the proxy-key strategy found for this request's provider and name. */
const GrantedConnections = createParamDecorator(
  (_data: unknown, context: ExecutionContext): GrantedConnectionRow[] => context.switchToHttp().getRequest<AppRequest>().grantedConnections ?? [],
);

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
  @ApiParam({ name: 'instance_id', format: 'uuid' })
  @ApiQuery({ name: 'provider', required: true, schema: { type: 'string', minLength: 1, maxLength: 50 } })
  @ApiQuery({ name: 'name', required: false, schema: { type: 'string', minLength: 1, maxLength: 255 } })
  @ApiQuery({
    name: 'capability',
    required: false,
    description: 'Required capability (e.g. send_mail). If specified, 403 if grant doesn\u2019t include it.',
    schema: { type: 'string', minLength: 1, maxLength: 100 },
  })
  @ApiOkResponse({ type: FetchedCredentialsResponse })
  @ApiErrors(403, 404, 409, 422)
  fetch(
    @UuidParam('instance_id') _instanceId: string,
    @Query(FetchQueryPipe) query: FetchQuery,
    @GrantedConnections() granted: GrantedConnectionRow[],
  ): FetchedCredentialsResponse {
    return this.credentials.fetch(query, granted);
  }
}
