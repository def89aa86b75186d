import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Connection } from '../connections/connection.entity';
import { notFound } from '../http/not-found';
import { Instance } from '../instances/instance.entity';
import type { CreateGrantRequest, GrantResponse } from './dto/grant.dto';
import { Grant } from './grant.entity';

@Injectable()
export class GrantsService {
  constructor(@InjectRepository(Grant) private readonly grants: Repository<Grant>) {}

  /**
   * Grants the customer's connection to one of the customer's instances. Either missing, or another
   * customer's, is a 404; a second grant of the same pair is a 409 (unique index).
   */
  async create(customerId: string, connectionId: string, request: CreateGrantRequest): Promise<GrantResponse> {
    const manager = this.grants.manager;
    if (!(await manager.existsBy(Connection, { id: connectionId, customerId }))) throw notFound('Connection');
    const instanceId = request.instance_id.toLowerCase();
    if (!(await manager.existsBy(Instance, { id: instanceId, customerId }))) throw notFound('Instance');
    const grant = await this.grants.save(this.grants.create({ connectionId, instanceId, capabilities: [...new Set(request.capabilities)] }));
    return this.map(grant);
  }

  async delete(customerId: string, connectionId: string, grantId: string): Promise<void> {
    const result = await this.grants
      .createQueryBuilder()
      .delete()
      .where('id = :grantId AND connection_id = :connectionId', { grantId, connectionId })
      .andWhere('connection_id IN (SELECT id FROM connections WHERE customer_id = :customerId)', { customerId })
      .execute();
    if (!result.affected) throw notFound('Grant');
  }

  private map(grant: Grant): GrantResponse {
    return {
      id: grant.id,
      connection_id: grant.connectionId,
      instance_id: grant.instanceId,
      capabilities: grant.capabilities,
      granted_at: grant.grantedAt.toISOString(),
    };
  }
}
