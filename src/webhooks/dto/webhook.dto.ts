import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EXAMPLE } from '../../http/openapi-examples';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsDefined, IsIn, IsOptional, IsString, Length, registerDecorator, ValidateIf } from 'class-validator';
import { CONNECTION_EVENT_TYPES } from '../../events/connection-event.entity';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../webhook-delivery.entity';

/** What a webhook may subscribe to: the contract's event types, or `*` (alone) for all of them. */
export const SUBSCRIBABLE_EVENTS = [...CONNECTION_EVENT_TYPES, '*'] as const;
export const WEBHOOK_TEST_EVENT = 'webhook.test';
const URL_MAX = 2048;
const DESCRIPTION_MAX = 1024;

/** Present means not null: optional fields of a PATCH that may be left out but not cleared. */
const unlessAbsent = ValidateIf((_object, value) => value !== undefined);

/** `*` takes every event, so it stands alone; a type named twice is a mistake worth a 422. */
function IsEventSubscription() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isEventSubscription',
      target: target.constructor,
      propertyName,
      options: { message: 'events must be distinct event types, or ["*"] alone' },
      validator: {
        validate: (value: unknown) => !Array.isArray(value) || (new Set(value).size === value.length && (!value.includes('*') || value.length === 1)),
      },
    });
}

const EVENTS_DESCRIPTION = `The event types to receive (${CONNECTION_EVENT_TYPES.join(', ')}), or ["*"] for all of them.`;

export class CreateWebhookRequest {
  @ApiProperty({ maxLength: URL_MAX, description: 'https, resolving to a public address (checked now and at each attempt)', example: 'https://agents.example.com/hooks/hydracore' })
  @IsDefined()
  @IsString()
  @Length(1, URL_MAX)
  url: string;

  @ApiProperty({ type: [String], enum: SUBSCRIBABLE_EVENTS, minItems: 1, description: EVENTS_DESCRIPTION, example: ['connection.revoked', 'connection.expired', 'connection.refresh_failed'] })
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SUBSCRIBABLE_EVENTS.length)
  @IsIn(SUBSCRIBABLE_EVENTS, { each: true, message: `each of events must be one of ${SUBSCRIBABLE_EVENTS.join(', ')}` })
  @IsEventSubscription()
  events: string[];

  @ApiPropertyOptional({ type: 'string', maxLength: DESCRIPTION_MAX, nullable: true, example: 'Tell the agent platform when a user must reconnect' })
  @IsOptional()
  @IsString()
  @Length(0, DESCRIPTION_MAX)
  description?: string | null;
}

export class UpdateWebhookRequest {
  @ApiPropertyOptional({ maxLength: URL_MAX, description: 'https, resolving to a public address', example: 'https://agents.example.com/hooks/hydracore-v2' })
  @unlessAbsent
  @IsString()
  @Length(1, URL_MAX)
  url?: string;

  @ApiPropertyOptional({ type: [String], enum: SUBSCRIBABLE_EVENTS, minItems: 1, description: EVENTS_DESCRIPTION, example: ['*'] })
  @unlessAbsent
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SUBSCRIBABLE_EVENTS.length)
  @IsIn(SUBSCRIBABLE_EVENTS, { each: true, message: `each of events must be one of ${SUBSCRIBABLE_EVENTS.join(', ')}` })
  @IsEventSubscription()
  events?: string[];

  @ApiPropertyOptional({ type: 'string', maxLength: DESCRIPTION_MAX, nullable: true, description: 'null clears it', example: 'Reconnect prompts for the support desk' })
  @IsOptional()
  @IsString()
  @Length(0, DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({ description: 'false: no new event is delivered to it, and its pending attempts wait until it is enabled again', example: false })
  @unlessAbsent
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.webhookId })
  id: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.customerId })
  customer_id: string;

  @ApiProperty({ example: 'https://agents.example.com/hooks/hydracore' })
  url: string;

  @ApiProperty({ type: [String], example: ['connection.revoked', 'connection.expired'] })
  events: string[];

  @ApiProperty({ type: 'string', nullable: true, example: 'Tell the agent platform when a user must reconnect' })
  description: string | null;

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  updated_at: string;
}

const SECRET_DESCRIPTION = 'The signing secret (whsec_ + base64 of 32 random bytes): shown this once, stored sealed';

export class CreatedWebhookResponse extends WebhookResponse {
  @ApiProperty({ description: SECRET_DESCRIPTION, example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret: string;
}

export class WebhookSecretResponse {
  @ApiProperty({ description: `${SECRET_DESCRIPTION}. The previous secret also signs for 24 hours.`, example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret: string;
}

export class WebhookListResponse {
  @ApiProperty({ type: [WebhookResponse] })
  webhooks: WebhookResponse[];

  @ApiProperty({ type: 'integer', example: 1 })
  total: number;
}

export class DeliveryResponse {
  @ApiProperty({ format: 'uuid', description: 'This attempt', example: EXAMPLE.deliveryId })
  id: string;

  @ApiProperty({ format: 'uuid', description: 'The event; the same on every attempt', example: EXAMPLE.eventId })
  event_id: string;

  @ApiProperty({ example: 'connection.revoked', description: `One of the subscribable event types, or ${WEBHOOK_TEST_EVENT}` })
  event_type: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 1, description: '1 for the first attempt, then one more per retry' })
  attempt: number;

  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'failed', description: 'pending: not made yet (due at next_attempt_at); succeeded: a 2xx within the timeout; failed: anything else' })
  status: DeliveryStatus;

  @ApiProperty({ type: 'integer', nullable: true, example: 503, description: 'The endpoint\u2019s HTTP status, when it answered' })
  response_status: number | null;

  @ApiProperty({ type: 'string', nullable: true, example: 'HTTP 503', description: 'Why the attempt failed' })
  error: string | null;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  created_at: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, example: '2026-11-22T14:15:27.123Z', description: 'pending: when it is due; failed: when the retry is due, null once given up' })
  next_attempt_at: string | null;
}

export class DeliveryListResponse {
  @ApiProperty({ type: [DeliveryResponse] })
  deliveries: DeliveryResponse[];

  @ApiProperty({ type: 'integer', example: 3 })
  total: number;
}
