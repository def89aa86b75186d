import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditTrail } from '../audit/audit-trail';
import type { Caller } from '../audit/caller';
import { foundOr404, notFound } from '../http/not-found';
import type { PageQuery } from '../http/pagination';
import { Customer } from './customer.entity';
import type { CustomerListResponse, CustomerResponse } from './dto/customer.response';

@Injectable()
export class CustomersService {
  constructor(
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    private readonly audit: AuditTrail,
  ) {}

  async create(name: string, by: Caller): Promise<CustomerResponse> {
    const customer = await this.customers.manager.transaction(async (manager) => {
      const created = await manager.save(this.customers.create({ name }));
      await this.audit.record(manager, { action: 'customer.create', by, customerId: created.id });
      return created;
    });
    return this.map(customer);
  }

  async list(page: PageQuery): Promise<CustomerListResponse> {
    const [customers, total] = await this.customers.findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    return { customers: customers.map((customer) => this.map(customer)), total };
  }

  async get(customerId: string): Promise<CustomerResponse> {
    return this.map(foundOr404(await this.customers.findOneBy({ id: customerId }), 'Customer'));
  }

  /** Everything of the customer goes with it (keys, instances, connections and grants cascade), except its audit events. */
  async delete(customerId: string, by: Caller): Promise<void> {
    await this.customers.manager.transaction(async (manager) => {
      const { affected } = await manager.delete(Customer, { id: customerId });
      if (!affected) throw notFound('Customer');
      await this.audit.record(manager, { action: 'customer.delete', by, customerId });
    });
  }

  private map(customer: Customer): CustomerResponse {
    return { id: customer.id, name: customer.name, created_at: customer.createdAt.toISOString() };
  }
}
