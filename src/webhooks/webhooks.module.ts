import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { systemClock, WEBHOOK_CLOCK } from './webhook-clock';
import { WebhookDeliveryLoop } from './webhook-delivery-loop';
import { WebhookDeliveryQueue } from './webhook-delivery-queue';
import { WebhookDelivery } from './webhook-delivery.entity';
import { Webhook } from './webhook.entity';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Webhook endpoints, and the delivery of connection events to them (fanned out by the database, sent by the loop). */
@Module({
  imports: [TypeOrmModule.forFeature([Webhook, WebhookDelivery])],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookDeliveryQueue, WebhookDeliveryLoop, { provide: WEBHOOK_CLOCK, useValue: systemClock }],
})
export class WebhooksModule {}
