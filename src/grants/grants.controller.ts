import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type Caller, RequestCaller } from '../audit/caller';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { UuidParam } from '../http/uuid-param';
import { CreateGrantRequest, GrantResponse } from './dto/grant.dto';
import { GrantsService } from './grants.service';
import { EXAMPLE } from '../http/openapi-examples';

@ApiTags('Grants')
@ApiParam({ name: 'customer_id', format: 'uuid', example: EXAMPLE.customerId })
@ApiParam({ name: 'connection_id', format: 'uuid', example: EXAMPLE.connectionId })
@Controller('v1/customers/:customer_id/connections/:connection_id/grants')
export class GrantsController {
  constructor(private readonly grants: GrantsService) {}

  @Post()
  @Auth('customer')
  @ApiOperation({
    operationId: 'createGrant',
    summary: 'Create Grant',
    description: 'Lets an instance of the same customer fetch the connection, with the given capabilities (may be empty). One grant per connection and instance: a second is a 409.',
  })
  @ApiCreatedResponse({ type: GrantResponse })
  @ApiErrors(404, 409, 422)
  create(
    @UuidParam('customer_id') customerId: string,
    @UuidParam('connection_id') connectionId: string,
    @Body() body: CreateGrantRequest,
    @RequestCaller() by: Caller,
  ): Promise<GrantResponse> {
    return this.grants.create(customerId, connectionId, body, by);
  }

  @Delete(':grant_id')
  @HttpCode(204)
  @Auth('customer')
  @ApiOperation({
    operationId: 'deleteGrant',
    summary: 'Delete Grant',
    description: 'Revokes the grant: the instance\u2019s next fetch of the connection is a 404.',
  })
  @ApiParam({ name: 'grant_id', format: 'uuid', example: EXAMPLE.grantId })
  @ApiNoContentResponse({ description: 'Revoked: the instance can no longer fetch the connection' })
  @ApiErrors(404, 422)
  delete(
    @UuidParam('customer_id') customerId: string,
    @UuidParam('connection_id') connectionId: string,
    @UuidParam('grant_id') grantId: string,
    @RequestCaller() by: Caller,
  ): Promise<void> {
    return this.grants.delete(customerId, connectionId, grantId, by);
  }
}
