import { Body, Controller, Delete, Get, Header, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type Caller, RequestCaller } from '../audit/caller';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { EXAMPLE } from '../http/openapi-examples';
import { PageQuery } from '../http/pagination';
import { UuidParam } from '../http/uuid-param';
import {
  CreatedWebhookResponse,
  CreateWebhookRequest,
  DeliveryListResponse,
  DeliveryResponse,
  UpdateWebhookRequest,
  WebhookListResponse,
  WebhookResponse,
  WebhookSecretResponse,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

const SIGNING =
  'Each delivery is a POST of `{"type", "timestamp", "data"}` signed by the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature`); ' +
  'at least once and unordered: dedupe on `webhook-id`.';

@ApiTags('Webhooks')
@ApiParam({ name: 'customer_id', format: 'uuid', example: EXAMPLE.customerId })
@Controller('v1/customers/:customer_id/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Auth('customer')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'createWebhook',
    summary: 'Subscribe an endpoint to connection events (its secret is shown once)',
    description: `The URL must be https and resolve to a public address (checked now, and again at each attempt). ${SIGNING}`,
  })
  @ApiBody({
    type: CreateWebhookRequest,
    examples: {
      reconnect: { summary: 'When a user must reconnect', value: { url: 'https://agents.example.com/hooks/hydracore', events: ['connection.revoked', 'connection.expired', 'connection.refresh_failed'] } },
      everything: { summary: 'Every event', value: { url: 'https://agents.example.com/hooks/all', events: ['*'], description: 'audit mirror' } },
    },
  })
  @ApiCreatedResponse({ type: CreatedWebhookResponse })
  @ApiErrors(404, 413, 422)
  create(@UuidParam('customer_id') customerId: string, @Body() body: CreateWebhookRequest, @RequestCaller() by: Caller): Promise<CreatedWebhookResponse> {
    return this.webhooks.create(customerId, body, by);
  }

  @Get()
  @Auth('customer')
  @ApiOperation({ operationId: 'listWebhooks', summary: 'List webhooks (never their secrets)', description: 'Oldest first (`created_at`, then `id`), with `?limit&offset`.' })
  @ApiOkResponse({ type: WebhookListResponse })
  @ApiErrors(404, 422)
  list(@UuidParam('customer_id') customerId: string, @Query() page: PageQuery): Promise<WebhookListResponse> {
    return this.webhooks.list(customerId, page);
  }

  @Get(':webhook_id')
  @Auth('customer')
  @ApiOperation({ operationId: 'getWebhook', summary: 'Get a webhook', description: 'The webhook without its secret; another customer\u2019s is a 404.' })
  @ApiParam({ name: 'webhook_id', format: 'uuid', example: EXAMPLE.webhookId })
  @ApiOkResponse({ type: WebhookResponse })
  @ApiErrors(404, 422)
  get(@UuidParam('customer_id') customerId: string, @UuidParam('webhook_id') webhookId: string): Promise<WebhookResponse> {
    return this.webhooks.get(customerId, webhookId);
  }

  @Patch(':webhook_id')
  @Auth('customer')
  @ApiOperation({
    operationId: 'updateWebhook',
    summary: 'Change a webhook\u2019s URL, events, description or enabled',
    description: 'A new URL is checked like a new webhook\u2019s. A disabled webhook receives no new event; its pending attempts wait until it is enabled again.',
  })
  @ApiParam({ name: 'webhook_id', format: 'uuid', example: EXAMPLE.webhookId })
  @ApiBody({
    type: UpdateWebhookRequest,
    examples: {
      pause: { summary: 'Pause deliveries', value: { enabled: false } },
      retarget: { summary: 'Another endpoint, every event', value: { url: 'https://agents.example.com/hooks/v2', events: ['*'] } },
    },
  })
  @ApiOkResponse({ type: WebhookResponse })
  @ApiErrors(404, 413, 422)
  update(@UuidParam('customer_id') customerId: string, @UuidParam('webhook_id') webhookId: string, @Body() body: UpdateWebhookRequest, @RequestCaller() by: Caller): Promise<WebhookResponse> {
    return this.webhooks.update(customerId, webhookId, body, by);
  }

  @Delete(':webhook_id')
  @HttpCode(204)
  @Auth('customer')
  @ApiOperation({ operationId: 'deleteWebhook', summary: 'Delete a webhook', description: 'Its deliveries go with it, pending attempts included.' })
  @ApiParam({ name: 'webhook_id', format: 'uuid', example: EXAMPLE.webhookId })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404, 422)
  delete(@UuidParam('customer_id') customerId: string, @UuidParam('webhook_id') webhookId: string, @RequestCaller() by: Caller): Promise<void> {
    return this.webhooks.delete(customerId, webhookId, by);
  }

  @Post(':webhook_id/rotate-secret')
  @Auth('customer')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: 'Rotate a webhook\u2019s signing secret (the new one is shown once)',
    description: 'For 24 hours both the new and the previous secret sign each delivery (two space-separated `v1,` signatures), so a receiver can switch without a gap.',
  })
  @ApiParam({ name: 'webhook_id', format: 'uuid', example: EXAMPLE.webhookId })
  @ApiCreatedResponse({ type: WebhookSecretResponse })
  @ApiErrors(404, 422)
  rotateSecret(@UuidParam('customer_id') customerId: string, @UuidParam('webhook_id') webhookId: string, @RequestCaller() by: Caller): Promise<WebhookSecretResponse> {
    return this.webhooks.rotateSecret(customerId, webhookId, by);
  }

  @Post(':webhook_id/test')
  @HttpCode(202)
  @Auth('customer')
  @ApiOperation({
    operationId: 'testWebhook',
    summary: 'Send a webhook.test event to this endpoint',
    description: 'Queues a `webhook.test` event (`data`: `{"webhook_id"}`) for this endpoint only, delivered and retried like any event; the answer is its first attempt, pending.',
  })
  @ApiParam({ name: 'webhook_id', format: 'uuid', example: EXAMPLE.webhookId })
  @ApiAcceptedResponse({ type: DeliveryResponse })
  @ApiErrors(404, 422)
  test(@UuidParam('customer_id') customerId: string, @UuidParam('webhook_id') webhookId: string): Promise<DeliveryResponse> {
    return this.webhooks.sendTest(customerId, webhookId);
  }

  @Get(':webhook_id/deliveries')
  @Auth('customer')
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: 'List a webhook\u2019s delivery attempts',
    description: 'Every attempt, oldest first: succeeded, failed (with the time of its retry, or none once given up after the last), or pending.',
  })
  @ApiParam({ name: 'webhook_id', format: 'uuid', example: EXAMPLE.webhookId })
  @ApiOkResponse({ type: DeliveryListResponse })
  @ApiErrors(404, 422)
  listDeliveries(@UuidParam('customer_id') customerId: string, @UuidParam('webhook_id') webhookId: string, @Query() page: PageQuery): Promise<DeliveryListResponse> {
    return this.webhooks.listDeliveries(customerId, webhookId, page);
  }
}
