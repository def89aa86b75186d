import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type Caller, RequestCaller } from '../audit/caller';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { EXAMPLE } from '../http/openapi-examples';
import { PageQuery } from '../http/pagination';
import { UuidParam } from '../http/uuid-param';
import { CreateOAuthAppRequest, OAuthAppListResponse, OAuthAppResponse, UpdateOAuthAppRequest } from './dto/oauth-app.dto';
import { OAuthAppsService } from './oauth-apps.service';

@ApiTags('OAuth apps')
@ApiParam({ name: 'customer_id', format: 'uuid', example: EXAMPLE.customerId })
@Controller('v1/customers/:customer_id/oauth-apps')
export class OAuthAppsController {
  constructor(private readonly apps: OAuthAppsService) {}

  @Post()
  @Auth('customer')
  @ApiOperation({
    operationId: 'createOAuthApp',
    summary: 'Register an OAuth2 app',
    description: 'The OAuth2 client that refreshes the customer\u2019s connections of one provider. `client_secret` is sealed and never returned.',
  })
  @ApiCreatedResponse({ type: OAuthAppResponse })
  @ApiErrors(404, 409, 422)
  create(@UuidParam('customer_id') customerId: string, @Body() body: CreateOAuthAppRequest, @RequestCaller() by: Caller): Promise<OAuthAppResponse> {
    return this.apps.create(customerId, body, by);
  }

  @Get()
  @Auth('customer')
  @ApiOperation({ operationId: 'listOAuthApps', summary: 'List OAuth2 apps', description: 'Oldest first; never the client secrets.' })
  @ApiOkResponse({ type: OAuthAppListResponse })
  @ApiErrors(404, 422)
  list(@UuidParam('customer_id') customerId: string, @Query() page: PageQuery): Promise<OAuthAppListResponse> {
    return this.apps.list(customerId, page);
  }

  @Get(':app_id')
  @Auth('customer')
  @ApiOperation({ operationId: 'getOAuthApp', summary: 'Get an OAuth2 app', description: 'Never the client secret.' })
  @ApiParam({ name: 'app_id', format: 'uuid', example: EXAMPLE.oauthAppId })
  @ApiOkResponse({ type: OAuthAppResponse })
  @ApiErrors(404, 422)
  get(@UuidParam('customer_id') customerId: string, @UuidParam('app_id') appId: string): Promise<OAuthAppResponse> {
    return this.apps.get(customerId, appId);
  }

  @Patch(':app_id')
  @Auth('customer')
  @ApiOperation({
    operationId: 'updateOAuthApp',
    summary: 'Update an OAuth2 app',
    description: 'Changes what is given. A paused token endpoint (failing every call) is tried again at once after a change.',
  })
  @ApiParam({ name: 'app_id', format: 'uuid', example: EXAMPLE.oauthAppId })
  @ApiOkResponse({ type: OAuthAppResponse })
  @ApiErrors(404, 422)
  update(@UuidParam('customer_id') customerId: string, @UuidParam('app_id') appId: string, @Body() body: UpdateOAuthAppRequest, @RequestCaller() by: Caller): Promise<OAuthAppResponse> {
    return this.apps.update(customerId, appId, body, by);
  }

  @Delete(':app_id')
  @HttpCode(204)
  @Auth('customer')
  @ApiOperation({ operationId: 'deleteOAuthApp', summary: 'Delete an OAuth2 app', description: 'Its provider\u2019s connections are no longer refreshed.' })
  @ApiParam({ name: 'app_id', format: 'uuid', example: EXAMPLE.oauthAppId })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404, 422)
  delete(@UuidParam('customer_id') customerId: string, @UuidParam('app_id') appId: string, @RequestCaller() by: Caller): Promise<void> {
    return this.apps.delete(customerId, appId, by);
  }
}
