import type { EntityManager } from 'typeorm';
import { notFound } from '../http/not-found';
import { Customer } from './customer.entity';

/**
 * An empty list of a customer that does not exist is a 404, not an empty page. Lists call this only when
 * they found nothing, so a page of rows costs no extra query.
 */
export async function assertCustomerExists(manager: EntityManager, customerId: string): Promise<void> {
  if (!(await manager.existsBy(Customer, { id: customerId }))) throw notFound('Customer');
}
