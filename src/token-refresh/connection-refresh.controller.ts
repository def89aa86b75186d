import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type Caller, RequestCaller } from '../audit/caller';
import { Auth } from '../auth/auth.decorator';
import { ConnectionResponse } from '../connections/dto/connection.response';
import { ApiErrors } from '../http/error-responses';
import { EXAMPLE } from '../http/openapi-examples';
import { type JsonText, JsonTextResponse } from '../http/json-text';
import { UuidParam } from '../http/uuid-param';
import { ConnectionRefreshService } from './connection-refresh.service';

@ApiTags('Connections')
@ApiParam({ name: 'customer_id', format: 'uuid', example: EXAMPLE.customerId })
@ApiParam({ name: 'connection_id', format: 'uuid', example: EXAMPLE.connectionId })
@Controller('v1/customers/:customer_id/connections/:connection_id/refresh')
export class ConnectionRefreshController {
  constructor(private readonly refreshes: ConnectionRefreshService) {}

  @Post()
  @HttpCode(200)
  @Auth('customer')
  @JsonTextResponse()
  @ApiOperation({
    operationId: 'refreshConnection',
    summary: 'Refresh a connection\u2019s OAuth2 token now',
    description:
      'Skips the connection\u2019s backoff wait, but is still exactly once with any concurrent refresh and does not bypass a paused OAuth app. ' +
      'Answers the connection as it is after the attempt (`status`, `error_message`). A connection that is not refreshable is a 409 with `code` `not_refreshable`.',
  })
  @ApiOkResponse({ type: ConnectionResponse })
  @ApiErrors(404, 409, 422)
  refresh(@UuidParam('customer_id') customerId: string, @UuidParam('connection_id') connectionId: string, @RequestCaller() by: Caller): Promise<JsonText<ConnectionResponse>> {
    return this.refreshes.refreshNow(customerId, connectionId, by);
  }
}
