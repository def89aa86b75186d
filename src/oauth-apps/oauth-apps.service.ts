import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditTrail } from '../audit/audit-trail';
import type { Caller } from '../audit/caller';
import { CredentialSealer } from '../crypto/credential-sealer';
import { assertCustomerExists } from '../customers/customer-exists';
import { notFound } from '../http/not-found';
import type { PageQuery } from '../http/pagination';
import { validationProblem } from '../http/problems';
import { OutboundClient, OutboundUrlError } from '../outbound/outbound-client';
import { sealAppSecret } from './app-secret';
import type { CreateOAuthAppRequest, OAuthAppListResponse, OAuthAppResponse, UpdateOAuthAppRequest } from './dto/oauth-app.dto';
import { KNOWN_TOKEN_URLS } from './known-providers';
import { OAuthApp } from './oauth-app.entity';

@Injectable()
export class OAuthAppsService {
  constructor(
    @InjectRepository(OAuthApp) private readonly apps: Repository<OAuthApp>,
    private readonly sealer: CredentialSealer,
    private readonly outbound: OutboundClient,
    private readonly audit: AuditTrail,
  ) {}

  /** The secret is sealed to the new row's id; a second app of the same provider is a 409. */
  async create(customerId: string, request: CreateOAuthAppRequest, by: Caller): Promise<OAuthAppResponse> {
    const tokenUrl = request.token_url ?? KNOWN_TOKEN_URLS[request.provider];
    if (tokenUrl === undefined) {
      throw validationProblem(['body', 'token_url'], `token_url is required: the provider ${request.provider} is not one the service knows`, 'missing');
    }
    // A known provider's URL is our own data; it is still checked, like every URL, when called.
    if (request.token_url !== undefined) await this.checkTokenUrl(tokenUrl);
    const id = randomUUID();
    const app = this.apps.create({
      id,
      customerId,
      provider: request.provider,
      clientId: request.client_id,
      tokenUrl,
      authMethod: request.auth_method,
      scopes: request.scopes,
      ...sealAppSecret(this.sealer, request.client_secret, id, customerId),
    });
    await this.apps.manager.transaction(async (manager) => {
      await manager.insert(OAuthApp, app);
      await this.audit.record(manager, { action: 'oauth_app.create', by, customerId, provider: request.provider });
    });
    return this.get(customerId, id);
  }

  async list(customerId: string, page: PageQuery): Promise<OAuthAppListResponse> {
    const [apps, total] = await this.apps.findAndCount({ where: { customerId }, order: { createdAt: 'ASC', id: 'ASC' }, take: page.limit, skip: page.offset });
    if (total === 0) await assertCustomerExists(this.apps.manager, customerId);
    return { oauth_apps: apps.map((app) => this.map(app)), total };
  }

  async get(customerId: string, appId: string): Promise<OAuthAppResponse> {
    const app = await this.apps.findOneBy({ id: appId, customerId });
    if (!app) throw notFound('OAuth app');
    return this.map(app);
  }

  /** Changes what is given. A changed app is given a fresh start: a paused token endpoint is tried again at once. */
  async update(customerId: string, appId: string, request: UpdateOAuthAppRequest, by: Caller): Promise<OAuthAppResponse> {
    if (request.token_url !== undefined) await this.checkTokenUrl(request.token_url);
    await this.apps.manager.transaction(async (manager) => {
      const app = await manager.findOne(OAuthApp, { where: { id: appId, customerId }, lock: { mode: 'pessimistic_write' } });
      if (!app) throw notFound('OAuth app');
      if (request.client_id !== undefined) app.clientId = request.client_id;
      if (request.token_url !== undefined) app.tokenUrl = request.token_url;
      if (request.auth_method !== undefined) app.authMethod = request.auth_method;
      if (request.scopes !== undefined) app.scopes = request.scopes;
      if (request.client_secret !== undefined) Object.assign(app, sealAppSecret(this.sealer, request.client_secret, appId, customerId));
      app.consecutiveFailures = 0;
      app.pausedUntil = null;
      app.probeUntil = null;
      await manager.save(app);
      await this.audit.record(manager, { action: 'oauth_app.update', by, customerId, provider: app.provider });
    });
    return this.get(customerId, appId);
  }

  async delete(customerId: string, appId: string, by: Caller): Promise<void> {
    await this.apps.manager.transaction(async (manager) => {
      const [[deleted]]: [{ provider: string }[], number] = await manager.query('DELETE FROM oauth_apps WHERE id = $1 AND customer_id = $2 RETURNING provider', [appId, customerId]);
      if (!deleted) throw notFound('OAuth app');
      await this.audit.record(manager, { action: 'oauth_app.delete', by, customerId, provider: deleted.provider });
    });
  }

  private async checkTokenUrl(url: string): Promise<void> {
    try {
      await this.outbound.assertUrlAllowed(url);
    } catch (error) {
      if (error instanceof OutboundUrlError) throw validationProblem(['body', 'token_url'], error.message, 'url_refused');
      throw validationProblem(['body', 'token_url'], 'The token URL\u2019s host name could not be resolved now; try again', 'url_unresolved');
    }
  }

  private map(app: OAuthApp): OAuthAppResponse {
    return {
      id: app.id,
      customer_id: app.customerId,
      provider: app.provider,
      client_id: app.clientId,
      token_url: app.tokenUrl,
      auth_method: app.authMethod,
      scopes: app.scopes,
      created_at: app.createdAt.toISOString(),
      updated_at: app.updatedAt.toISOString(),
    };
  }
}
