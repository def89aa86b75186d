import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditTrail } from '../audit/audit-trail';
import type { Caller } from '../audit/caller';
import { assertCustomerExists } from '../customers/customer-exists';
import { CredentialSealer } from '../crypto/credential-sealer';
import { notFound } from '../http/not-found';
import type { PageQuery } from '../http/pagination';
import { validationProblem } from '../http/problems';
import { OutboundClient, OutboundUrlError } from '../outbound/outbound-client';
import {
  type CreatedWebhookResponse,
  type CreateWebhookRequest,
  type DeliveryListResponse,
  type DeliveryResponse,
  type UpdateWebhookRequest,
  WEBHOOK_TEST_EVENT,
  type WebhookListResponse,
  type WebhookResponse,
  type WebhookSecretResponse,
} from './dto/webhook.dto';
import { WEBHOOK_CLOCK, type WebhookClock } from './webhook-clock';
import { WebhookDelivery } from './webhook-delivery.entity';
import { generateWebhookSecret, openWebhookSecrets, rotatedSecrets, sealWebhookSecrets } from './webhook-secrets';
import { Webhook } from './webhook.entity';

@Injectable()
export class WebhooksService {
  constructor(
    @InjectRepository(Webhook) private readonly webhooks: Repository<Webhook>,
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    private readonly sealer: CredentialSealer,
    private readonly outbound: OutboundClient,
    private readonly audit: AuditTrail,
    @Inject(WEBHOOK_CLOCK) private readonly clock: WebhookClock,
  ) {}

  /** Checks the URL (resolving it now), makes the secret, seals it to the new row, and shows it this once. */
  async create(customerId: string, request: CreateWebhookRequest, by: Caller): Promise<CreatedWebhookResponse> {
    await this.assertUrlAllowed(request.url);
    const id = randomUUID();
    const secret = generateWebhookSecret();
    const webhook = this.webhooks.create({
      id,
      customerId,
      url: request.url,
      events: request.events,
      description: request.description ?? null,
      enabled: true,
      ...sealWebhookSecrets(this.sealer, { current: secret }, { webhookId: id, customerId }),
    });
    await this.webhooks.manager.transaction(async (manager) => {
      await manager.insert(Webhook, webhook);
      await this.audit.record(manager, { action: 'webhook.create', by, customerId });
    });
    return { ...this.map(webhook), secret };
  }

  async list(customerId: string, page: PageQuery): Promise<WebhookListResponse> {
    const [webhooks, total] = await this.webhooks.findAndCount({
      where: { customerId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    if (total === 0) await assertCustomerExists(this.webhooks.manager, customerId);
    return { webhooks: webhooks.map((webhook) => this.map(webhook)), total };
  }

  async get(customerId: string, webhookId: string): Promise<WebhookResponse> {
    return this.map(await this.findOwn(customerId, webhookId));
  }

  /** Changes what is given; a new URL is checked like a new webhook's. */
  async update(customerId: string, webhookId: string, request: UpdateWebhookRequest, by: Caller): Promise<WebhookResponse> {
    await this.findOwn(customerId, webhookId);
    if (request.url !== undefined) await this.assertUrlAllowed(request.url);
    const updated = await this.webhooks.manager.transaction(async (manager) => {
      const webhook = await manager.findOne(Webhook, { where: { id: webhookId, customerId }, lock: { mode: 'pessimistic_write' } });
      if (!webhook) throw notFound('Webhook');
      if (request.url !== undefined) webhook.url = request.url;
      if (request.events !== undefined) webhook.events = request.events;
      if (request.description !== undefined) webhook.description = request.description;
      if (request.enabled !== undefined) webhook.enabled = request.enabled;
      await manager.save(webhook);
      await this.audit.record(manager, { action: 'webhook.update', by, customerId });
      return webhook;
    });
    return this.map(updated);
  }

  /** Its deliveries go with it (cascade), pending attempts included. */
  async delete(customerId: string, webhookId: string, by: Caller): Promise<void> {
    await this.webhooks.manager.transaction(async (manager) => {
      const { affected } = await manager.delete(Webhook, { id: webhookId, customerId });
      if (!affected) throw notFound('Webhook');
      await this.audit.record(manager, { action: 'webhook.delete', by, customerId });
    });
  }

  /** A new secret signs from now on; the current one keeps signing beside it for 24 hours. */
  async rotateSecret(customerId: string, webhookId: string, by: Caller): Promise<WebhookSecretResponse> {
    const secret = generateWebhookSecret();
    await this.webhooks.manager.transaction(async (manager) => {
      const webhook = await manager.findOne(Webhook, { where: { id: webhookId, customerId }, lock: { mode: 'pessimistic_write' } });
      if (!webhook) throw notFound('Webhook');
      const rotated = rotatedSecrets(openWebhookSecrets(this.sealer, webhook), secret, this.clock.now());
      await manager.update(Webhook, { id: webhookId }, sealWebhookSecrets(this.sealer, rotated, { webhookId, customerId }));
      await this.audit.record(manager, { action: 'webhook.rotate_secret', by, customerId });
    });
    return { secret };
  }

  /** Queues a `webhook.test` event for this endpoint only; it is delivered and retried like any other. */
  async sendTest(customerId: string, webhookId: string): Promise<DeliveryResponse> {
    await this.findOwn(customerId, webhookId);
    const [{ id }]: { id: string }[] = await this.deliveries.query(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, occurred_at, message_id, attempt, status, next_attempt_at)
       VALUES ($1, gen_random_uuid(), $2, $3, 'msg_' || replace(gen_random_uuid()::text, '-', ''), 1, 'pending', now())
       RETURNING id`,
      [webhookId, WEBHOOK_TEST_EVENT, this.clock.now()],
    );
    return this.mapDelivery(await this.deliveries.findOneByOrFail({ id }));
  }

  /** Every attempt, oldest first: made, failed with the time of the retry, or pending. */
  async listDeliveries(customerId: string, webhookId: string, page: PageQuery): Promise<DeliveryListResponse> {
    await this.findOwn(customerId, webhookId);
    const [deliveries, total] = await this.deliveries.findAndCount({
      where: { webhookId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    return { deliveries: deliveries.map((delivery) => this.mapDelivery(delivery)), total };
  }

  private async findOwn(customerId: string, webhookId: string): Promise<Webhook> {
    const webhook = await this.webhooks.findOneBy({ id: webhookId, customerId });
    if (!webhook) throw notFound('Webhook');
    return webhook;
  }

  /** The outbound-URL rule at save time: a 422 at `body.url` saying why (as for an OAuth app's token URL). */
  private async assertUrlAllowed(url: string): Promise<void> {
    try {
      await this.outbound.assertUrlAllowed(url);
    } catch (error) {
      if (error instanceof OutboundUrlError) throw validationProblem(['body', 'url'], error.message, 'url_refused');
      throw validationProblem(['body', 'url'], 'The webhook URL\u2019s host name could not be resolved now; try again', 'url_unresolved');
    }
  }

  private map(webhook: Webhook): WebhookResponse {
    return {
      id: webhook.id,
      customer_id: webhook.customerId,
      url: webhook.url,
      events: webhook.events,
      description: webhook.description,
      enabled: webhook.enabled,
      created_at: webhook.createdAt.toISOString(),
      updated_at: webhook.updatedAt.toISOString(),
    };
  }

  private mapDelivery(delivery: WebhookDelivery): DeliveryResponse {
    return {
      id: delivery.id,
      event_id: delivery.eventId,
      event_type: delivery.eventType,
      attempt: delivery.attempt,
      status: delivery.status,
      response_status: delivery.responseStatus,
      error: delivery.error,
      created_at: delivery.createdAt.toISOString(),
      next_attempt_at: delivery.nextAttemptAt?.toISOString() ?? null,
    };
  }
}
