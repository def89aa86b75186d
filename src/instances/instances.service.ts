import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditTrail } from '../audit/audit-trail';
import type { Caller } from '../audit/caller';
import { generateSecretKey, hashSecretKey, PROXY_KEY_PREFIX } from '../auth/secret-keys';
import { notFound } from '../http/not-found';
import type { PageQuery } from '../http/pagination';
import { assertCustomerExists } from '../customers/customer-exists';
import type { CreatedInstanceResponse, InstanceListResponse, InstanceResponse, ProxyKeyResponse } from './dto/instance.dto';
import { Instance } from './instance.entity';

@Injectable()
export class InstancesService {
  constructor(
    @InjectRepository(Instance) private readonly instances: Repository<Instance>,
    private readonly audit: AuditTrail,
  ) {}

  async create(customerId: string, name: string, by: Caller): Promise<CreatedInstanceResponse> {
    const proxyKey = generateSecretKey(PROXY_KEY_PREFIX);
    const instance = await this.instances.manager.transaction(async (manager) => {
      const created = await manager.save(this.instances.create({ customerId, name, proxyKeyHash: hashSecretKey(proxyKey) }));
      await this.audit.record(manager, { action: 'instance.create', by, customerId, instanceId: created.id });
      return created;
    });
    return { ...this.map(instance), proxy_key: proxyKey };
  }

  async list(customerId: string, page: PageQuery): Promise<InstanceListResponse> {
    const [instances, total] = await this.instances.findAndCount({
      where: { customerId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    if (total === 0) await assertCustomerExists(this.instances.manager, customerId);
    return { instances: instances.map((instance) => this.map(instance)), total };
  }

  /** Its grants go with it (cascade), and its proxy key is unknown from the next request. */
  async delete(customerId: string, instanceId: string, by: Caller): Promise<void> {
    await this.instances.manager.transaction(async (manager) => {
      const { affected } = await manager.delete(Instance, { id: instanceId, customerId });
      if (!affected) throw notFound('Instance');
      await this.audit.record(manager, { action: 'instance.delete', by, customerId, instanceId });
    });
  }

  /** Replaces the stored hash in one statement: the old key fails from the next request. */
  async rotateProxyKey(customerId: string, instanceId: string, by: Caller): Promise<ProxyKeyResponse> {
    const proxyKey = generateSecretKey(PROXY_KEY_PREFIX);
    await this.instances.manager.transaction(async (manager) => {
      const { affected } = await manager.update(Instance, { id: instanceId, customerId }, { proxyKeyHash: hashSecretKey(proxyKey) });
      if (!affected) throw notFound('Instance');
      await this.audit.record(manager, { action: 'instance.rotate_key', by, customerId, instanceId });
    });
    return { proxy_key: proxyKey };
  }

  private map(instance: Instance): InstanceResponse {
    return {
      id: instance.id,
      customer_id: instance.customerId,
      name: instance.name,
      created_at: instance.createdAt.toISOString(),
    };
  }
}
