import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { type JsonText, JsonTextResponse } from '../http/json-text';
import { UuidParam } from '../http/uuid-param';
import { ConnectionsService } from './connections.service';
import { CreateConnectionRequest, ListConnectionsQuery, UpdateConnectionRequest } from './dto/connection-request.dto';
import { ConnectionListResponse, ConnectionResponse } from './dto/connection.response';

@ApiTags('Connections')
@ApiParam({ name: 'customer_id', format: 'uuid' })
@Controller('v1/customers/:customer_id/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get()
  @Auth('customer')
  @JsonTextResponse()
  @ApiOperation({ operationId: 'listConnections', summary: 'List Connections' })
  @ApiOkResponse({ type: ConnectionListResponse })
  @ApiErrors(404, 422)
  list(@UuidParam('customer_id') customerId: string, @Query() query: ListConnectionsQuery): Promise<JsonText<ConnectionListResponse>> {
    return this.connections.list(customerId, query);
  }

  @Post()
  @Auth('customer')
  @JsonTextResponse()
  @ApiOperation({ operationId: 'createConnection', summary: 'Create Connection' })
  @ApiCreatedResponse({ type: ConnectionResponse })
  @ApiErrors(404, 409, 413, 422)
  create(@UuidParam('customer_id') customerId: string, @Body() body: CreateConnectionRequest): Promise<JsonText<ConnectionResponse>> {
    return this.connections.create(customerId, body);
  }

  @Get(':connection_id')
  @Auth('customer')
  @JsonTextResponse()
  @ApiOperation({ operationId: 'getConnection', summary: 'Get Connection' })
  @ApiParam({ name: 'connection_id', format: 'uuid' })
  @ApiOkResponse({ type: ConnectionResponse })
  @ApiErrors(404, 422)
  get(@UuidParam('customer_id') customerId: string, @UuidParam('connection_id') connectionId: string): Promise<JsonText<ConnectionResponse>> {
    return this.connections.get(customerId, connectionId);
  }

  @Patch(':connection_id')
  @Auth('customer')
  @JsonTextResponse()
  @ApiOperation({ operationId: 'updateConnection', summary: 'Update Connection' })
  @ApiParam({ name: 'connection_id', format: 'uuid' })
  @ApiOkResponse({ type: ConnectionResponse })
  @ApiErrors(404, 409, 413, 422)
  update(
    @UuidParam('customer_id') customerId: string,
    @UuidParam('connection_id') connectionId: string,
    @Body() body: UpdateConnectionRequest,
  ): Promise<JsonText<ConnectionResponse>> {
    return this.connections.update(customerId, connectionId, body);
  }

  @Delete(':connection_id')
  @HttpCode(204)
  @Auth('customer')
  @ApiOperation({ operationId: 'deleteConnection', summary: 'Delete Connection' })
  @ApiParam({ name: 'connection_id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted, with its grants' })
  @ApiErrors(404, 422)
  delete(@UuidParam('customer_id') customerId: string, @UuidParam('connection_id') connectionId: string): Promise<void> {
    return this.connections.delete(customerId, connectionId);
  }
}
