import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type Caller, RequestCaller } from '../audit/caller';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { type JsonText, JsonTextResponse } from '../http/json-text';
import { UuidParam } from '../http/uuid-param';
import { ConnectionsService } from './connections.service';
import { CreateConnectionRequest, ListConnectionsQuery, UpdateConnectionRequest } from './dto/connection-request.dto';
import { ConnectionListResponse, ConnectionResponse } from './dto/connection.response';
import { EXAMPLE } from '../http/openapi-examples';

@ApiTags('Connections')
@ApiParam({ name: 'customer_id', format: 'uuid', example: EXAMPLE.customerId })
@Controller('v1/customers/:customer_id/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get()
  @Auth('customer')
  @JsonTextResponse()
  @ApiOperation({
    operationId: 'listConnections',
    summary: 'List Connections',
    description: 'A page of the customer\u2019s connections, filtered by `provider` and `status`, each with its grants; never the credentials. `last_used_at` may lag by up to a second in a list.',
  })
  @ApiOkResponse({ type: ConnectionListResponse })
  @ApiErrors(404, 422)
  list(@UuidParam('customer_id') customerId: string, @Query() query: ListConnectionsQuery): Promise<JsonText<ConnectionListResponse>> {
    return this.connections.list(customerId, query);
  }

  @Post()
  @Auth('customer')
  @JsonTextResponse()
  @ApiOperation({
    operationId: 'createConnection',
    summary: 'Create Connection',
    description: 'Stores a provider\u2019s credentials, sealed with AES-256-GCM under a data key of their own; they are never shown by `/v1` again. `expires_at` is read from `credentials.expires_at` or `credentials.expires_in`. A second connection with the same provider and name is a 409.',
  })
  @ApiCreatedResponse({ type: ConnectionResponse })
  @ApiErrors(404, 409, 413, 422)
  create(@UuidParam('customer_id') customerId: string, @Body() body: CreateConnectionRequest, @RequestCaller() by: Caller): Promise<JsonText<ConnectionResponse>> {
    return this.connections.create(customerId, body, by);
  }

  @Get(':connection_id')
  @Auth('customer')
  @JsonTextResponse()
  @ApiOperation({
    operationId: 'getConnection',
    summary: 'Get Connection',
    description: 'One connection with its grants, never the credentials. Another customer\u2019s connection id is a 404.',
  })
  @ApiParam({ name: 'connection_id', format: 'uuid', example: EXAMPLE.connectionId })
  @ApiOkResponse({ type: ConnectionResponse })
  @ApiErrors(404, 422)
  get(@UuidParam('customer_id') customerId: string, @UuidParam('connection_id') connectionId: string): Promise<JsonText<ConnectionResponse>> {
    return this.connections.get(customerId, connectionId);
  }

  @Patch(':connection_id')
  @Auth('customer')
  @JsonTextResponse()
  @ApiOperation({
    operationId: 'updateConnection',
    summary: 'Update Connection',
    description: 'Changes any of `name`, `credentials`, `scopes`, `metadata_json`. New credentials are sealed again, set `status` back to `active` and clear `error_message`; `metadata_json: null` clears it.',
  })
  @ApiParam({ name: 'connection_id', format: 'uuid', example: EXAMPLE.connectionId })
  @ApiOkResponse({ type: ConnectionResponse })
  @ApiErrors(404, 409, 413, 422)
  update(
    @UuidParam('customer_id') customerId: string,
    @UuidParam('connection_id') connectionId: string,
    @Body() body: UpdateConnectionRequest,
    @RequestCaller() by: Caller,
  ): Promise<JsonText<ConnectionResponse>> {
    return this.connections.update(customerId, connectionId, body, by);
  }

  @Delete(':connection_id')
  @HttpCode(204)
  @Auth('customer')
  @ApiOperation({
    operationId: 'deleteConnection',
    summary: 'Delete Connection',
    description: 'Deletes the connection and its grants: instances can no longer fetch it.',
  })
  @ApiParam({ name: 'connection_id', format: 'uuid', example: EXAMPLE.connectionId })
  @ApiNoContentResponse({ description: 'Deleted, with its grants' })
  @ApiErrors(404, 422)
  delete(@UuidParam('customer_id') customerId: string, @UuidParam('connection_id') connectionId: string, @RequestCaller() by: Caller): Promise<void> {
    return this.connections.delete(customerId, connectionId, by);
  }
}
