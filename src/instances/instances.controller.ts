import { Body, Controller, Delete, Get, Header, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type Caller, RequestCaller } from '../audit/caller';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { PageQuery } from '../http/pagination';
import { UuidParam } from '../http/uuid-param';
import { CreatedInstanceResponse, CreateInstanceRequest, InstanceListResponse, ProxyKeyResponse } from './dto/instance.dto';
import { InstancesService } from './instances.service';
import { EXAMPLE } from '../http/openapi-examples';

@ApiTags('Instances')
@ApiParam({ name: 'customer_id', format: 'uuid', example: EXAMPLE.customerId })
@Controller('v1/customers/:customer_id/instances')
export class InstancesController {
  constructor(private readonly instances: InstancesService) {}

  @Post()
  @Auth('customer')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'createInstance',
    summary: 'Register an agent runtime instance (its proxy key is shown once)',
    description: 'Registers an agent runtime. The `proxy_key` it fetches credentials with is in this response only (with `Cache-Control: no-store`); the service keeps its hash.',
  })
  @ApiCreatedResponse({ type: CreatedInstanceResponse })
  @ApiErrors(404, 422)
  create(@UuidParam('customer_id') customerId: string, @Body() body: CreateInstanceRequest, @RequestCaller() by: Caller): Promise<CreatedInstanceResponse> {
    return this.instances.create(customerId, body.name, by);
  }

  @Get()
  @Auth('customer')
  @ApiOperation({
    operationId: 'listInstances',
    summary: 'List instances (never their proxy keys)',
    description: 'A page of the customer\u2019s instances, never their proxy keys.',
  })
  @ApiOkResponse({ type: InstanceListResponse })
  @ApiErrors(404, 422)
  list(@UuidParam('customer_id') customerId: string, @Query() page: PageQuery): Promise<InstanceListResponse> {
    return this.instances.list(customerId, page);
  }

  @Delete(':instance_id')
  @HttpCode(204)
  @Auth('customer')
  @ApiOperation({
    operationId: 'deleteInstance',
    summary: 'Delete an instance, its grants and its proxy key',
    description: 'Deletes the instance with its grants; its proxy key is refused from the next request.',
  })
  @ApiParam({ name: 'instance_id', format: 'uuid', example: EXAMPLE.instanceId })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404, 422)
  delete(@UuidParam('customer_id') customerId: string, @UuidParam('instance_id') instanceId: string, @RequestCaller() by: Caller): Promise<void> {
    return this.instances.delete(customerId, instanceId, by);
  }

  @Post(':instance_id/proxy-key')
  @Auth('customer')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'rotateProxyKey',
    summary: 'Rotate an instance\u2019s proxy key (the old key fails at once)',
    description: 'Replaces the instance\u2019s proxy key in one statement: the new key is in this response only, and the old one is refused from the next request.',
  })
  @ApiParam({ name: 'instance_id', format: 'uuid', example: EXAMPLE.instanceId })
  @ApiCreatedResponse({ type: ProxyKeyResponse })
  @ApiErrors(404, 422)
  rotateProxyKey(@UuidParam('customer_id') customerId: string, @UuidParam('instance_id') instanceId: string, @RequestCaller() by: Caller): Promise<ProxyKeyResponse> {
    return this.instances.rotateProxyKey(customerId, instanceId, by);
  }
}
