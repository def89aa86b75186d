import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Customer } from '../customers/customer.entity';

@Entity('instances')
@Index('IDX_instances_customer_created_at_id', ['customerId', 'createdAt', 'id'])
export class Instance {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customer_id', foreignKeyConstraintName: 'FK_instances_customer' })
  customer?: Relation<Customer>;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  /** SHA-256 of the current proxy key; rotating the key replaces it. */
  @Index('UQ_instances_proxy_key_hash', { unique: true })
  @Column({ name: 'proxy_key_hash', type: 'bytea' })
  proxyKeyHash: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
