import { ApiKey } from './api-keys/api-key.entity';
import { AuditChain, AuditEvent, AuditSeal } from './audit/audit-event.entity';
import { CustomerConnectionCount } from './connections/connection-count.entity';
import { ConnectionGrantList } from './connections/connection-grant-list.entity';
import { ConnectionLastUse } from './connections/connection-last-use.entity';
import { Connection } from './connections/connection.entity';
import { Customer } from './customers/customer.entity';
import { ConnectionEvent } from './events/connection-event.entity';
import { Grant } from './grants/grant.entity';
import { Instance } from './instances/instance.entity';
import { OAuthApp } from './oauth-apps/oauth-app.entity';
import { WebhookDelivery } from './webhooks/webhook-delivery.entity';
import { Webhook } from './webhooks/webhook.entity';

/** Every entity of the service; the migrations must describe exactly these. */
export const ENTITIES = [Customer, ApiKey, Instance, Connection, CustomerConnectionCount, ConnectionGrantList, ConnectionLastUse, Grant, ConnectionEvent, OAuthApp, AuditEvent, AuditSeal, AuditChain, Webhook, WebhookDelivery];
