import { Body, Controller, Delete, Get, Header, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type Caller, RequestCaller } from '../audit/caller';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { PageQuery } from '../http/pagination';
import { UuidParam } from '../http/uuid-param';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyListResponse, CreateApiKeyRequest, CreatedApiKeyResponse } from './dto/api-key.dto';
import { EXAMPLE } from '../http/openapi-examples';

@ApiTags('API keys')
@ApiParam({ name: 'customer_id', format: 'uuid', example: EXAMPLE.customerId })
@Controller('v1/customers/:customer_id/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @Auth('customer')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key (the key is shown once)',
    description: 'Creates an API key for the customer. The `key` is in this response only (with `Cache-Control: no-store`); the service keeps its SHA-256 hash. `name` is optional.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyResponse })
  @ApiErrors(404, 422)
  create(@UuidParam('customer_id') customerId: string, @Body() body: CreateApiKeyRequest, @RequestCaller() by: Caller): Promise<CreatedApiKeyResponse> {
    return this.apiKeys.create(customerId, body.name ?? null, by);
  }

  @Get()
  @Auth('customer')
  @ApiOperation({
    operationId: 'listApiKeys',
    summary: 'List API keys (never the keys themselves)',
    description: 'A page of the customer\u2019s API keys with their `prefix` and `last_used_at` (written within a few seconds of a use), never the keys themselves.',
  })
  @ApiOkResponse({ type: ApiKeyListResponse })
  @ApiErrors(404, 422)
  list(@UuidParam('customer_id') customerId: string, @Query() page: PageQuery): Promise<ApiKeyListResponse> {
    return this.apiKeys.list(customerId, page);
  }

  @Delete(':api_key_id')
  @HttpCode(204)
  @Auth('customer')
  @ApiOperation({
    operationId: 'deleteApiKey',
    summary: 'Revoke an API key',
    description: 'Revokes the key: the row goes, and the key is refused from the next request on every replica (nothing caches it).',
  })
  @ApiParam({ name: 'api_key_id', format: 'uuid', example: EXAMPLE.apiKeyId })
  @ApiNoContentResponse({ description: 'Revoked: the key fails from the next request' })
  @ApiErrors(404, 422)
  delete(@UuidParam('customer_id') customerId: string, @UuidParam('api_key_id') apiKeyId: string, @RequestCaller() by: Caller): Promise<void> {
    return this.apiKeys.delete(customerId, apiKeyId, by);
  }
}
