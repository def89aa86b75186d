import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Customer } from '../customers/customer.entity';

/**
 * How many connections each customer has, kept by triggers on `connections` (see the migration
 * AddConnectionCounts), so that an unfiltered list answers `total` without counting 100,000 rows;
 * and the version of the customer's list, for kept pages (migration ConnectionListVersions).
 */
@Entity('customer_connection_counts')
export class CustomerConnectionCount {
  @PrimaryColumn({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @OneToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customer_id', foreignKeyConstraintName: 'FK_customer_connection_counts_customer' })
  customer?: Relation<Customer>;

  @Column({ type: 'bigint', default: 0 })
  connections: string;

  /**
   * Moves on whenever anything a list of the customer's connections shows changes, `last_used_at`
   * aside: a connection created, changed or deleted, a grant given or revoked (triggers, see the
   * migration ConnectionListVersions). A page built at one version is still right at the same one.
   */
  @Column({ type: 'bigint', default: 0 })
  version: string;
}
