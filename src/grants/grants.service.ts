import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Connection } from '../connections/connection.entity';
import { AuditTrail } from '../audit/audit-trail';
import type { Caller } from '../audit/caller';
import { ConnectionEvents } from '../events/connection-events';
import { notFound } from '../http/not-found';
import { Instance } from '../instances/instance.entity';
import type { CreateGrantRequest, GrantResponse } from './dto/grant.dto';
import { Grant } from './grant.entity';

interface GrantRow {
  id: string;
  connection_id: string;
  instance_id: string;
  capabilities: string[];
  granted_at: Date;
}

@Injectable()
export class GrantsService {
  constructor(
    @InjectRepository(Grant) private readonly grants: Repository<Grant>,
    private readonly events: ConnectionEvents,
    private readonly audit: AuditTrail,
  ) {}

  /**
   * Grants the customer's connection to one of the customer's instances. Either missing, or another
   * customer's, is a 404; a second grant of the same pair is a 409 (unique index).
   */
  async create(customerId: string, connectionId: string, request: CreateGrantRequest, by: Caller): Promise<GrantResponse> {
    const manager = this.grants.manager;
    if (!(await manager.existsBy(Connection, { id: connectionId, customerId }))) throw notFound('Connection');
    const instanceId = request.instance_id.toLowerCase();
    if (!(await manager.existsBy(Instance, { id: instanceId, customerId }))) throw notFound('Instance');
    return manager.transaction(async (transaction) => {
      const grant = await transaction.save(this.grants.create({ connectionId, instanceId, capabilities: [...new Set(request.capabilities)] }));
      const response = this.map(grant);
      await this.events.record(transaction, { type: 'grant.created', customerId, connectionId, grantId: grant.id, data: response });
      await this.audit.record(transaction, { action: 'grant.create', by, customerId, connectionId, instanceId, grantId: grant.id });
      return response;
    });
  }

  async delete(customerId: string, connectionId: string, grantId: string, by: Caller): Promise<void> {
    await this.grants.manager.transaction(async (manager) => {
      // A DELETE through TypeORM's query() answers [rows, affected].
      const [[deleted]]: [GrantRow[], number] = await manager.query(
        `DELETE FROM grants WHERE id = $1 AND connection_id = $2 AND connection_id IN (SELECT id FROM connections WHERE customer_id = $3)
         RETURNING id, connection_id, instance_id, capabilities, granted_at`,
        [grantId, connectionId, customerId],
      );
      if (!deleted) throw notFound('Grant');
      const data = this.map({ id: deleted.id, connectionId: deleted.connection_id, instanceId: deleted.instance_id, capabilities: deleted.capabilities, grantedAt: deleted.granted_at });
      await this.events.record(manager, { type: 'grant.deleted', customerId, connectionId, grantId, data });
      await this.audit.record(manager, { action: 'grant.delete', by, customerId, connectionId, instanceId: deleted.instance_id, grantId });
    });
  }

  private map(grant: Pick<Grant, 'id' | 'connectionId' | 'instanceId' | 'capabilities' | 'grantedAt'>): GrantResponse {
    return {
      id: grant.id,
      connection_id: grant.connectionId,
      instance_id: grant.instanceId,
      capabilities: grant.capabilities,
      granted_at: grant.grantedAt.toISOString(),
    };
  }
}
