import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditTrail } from '../audit/audit-trail';
import type { Caller } from '../audit/caller';
import { API_KEY_PREFIX, displayPrefix, generateSecretKey, hashSecretKey } from '../auth/secret-keys';
import { notFound } from '../http/not-found';
import type { PageQuery } from '../http/pagination';
import { assertCustomerExists } from '../customers/customer-exists';
import { ApiKey } from './api-key.entity';
import type { ApiKeyListResponse, ApiKeyResponse, CreatedApiKeyResponse } from './dto/api-key.dto';

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKey) private readonly apiKeys: Repository<ApiKey>,
    private readonly audit: AuditTrail,
  ) {}

  /** A new random key; only its hash is stored, and the key is returned this once. */
  async create(customerId: string, name: string | null, by: Caller): Promise<CreatedApiKeyResponse> {
    const key = generateSecretKey(API_KEY_PREFIX);
    const apiKey = await this.apiKeys.manager.transaction(async (manager) => {
      const created = await manager.save(this.apiKeys.create({ customerId, name, prefix: displayPrefix(key), keyHash: hashSecretKey(key), lastUsedAt: null }));
      await this.audit.record(manager, { action: 'api_key.create', by, customerId });
      return created;
    });
    return { ...this.map(apiKey), key };
  }

  async list(customerId: string, page: PageQuery): Promise<ApiKeyListResponse> {
    const [apiKeys, total] = await this.apiKeys.findAndCount({
      where: { customerId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    if (total === 0) await assertCustomerExists(this.apiKeys.manager, customerId);
    return { api_keys: apiKeys.map((apiKey) => this.map(apiKey)), total };
  }

  /** Revokes the key: its row goes, so the next request made with it is unknown (401). */
  async delete(customerId: string, apiKeyId: string, by: Caller): Promise<void> {
    await this.apiKeys.manager.transaction(async (manager) => {
      const { affected } = await manager.delete(ApiKey, { id: apiKeyId, customerId });
      if (!affected) throw notFound('API key');
      await this.audit.record(manager, { action: 'api_key.delete', by, customerId });
    });
  }

  private map(apiKey: ApiKey): ApiKeyResponse {
    return {
      id: apiKey.id,
      name: apiKey.name,
      prefix: apiKey.prefix,
      created_at: apiKey.createdAt.toISOString(),
      last_used_at: apiKey.lastUsedAt?.toISOString() ?? null,
    };
  }
}
