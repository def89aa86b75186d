import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Connection } from '../connections/connection.entity';
import { Instance } from '../instances/instance.entity';

@Entity('grants')
@Index('UQ_grants_connection_instance', ['connectionId', 'instanceId'], { unique: true })
@Index('IDX_grants_instance_provider', ['instanceId', 'provider'])
export class Grant {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId: string;

  @ManyToOne(() => Connection, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id', foreignKeyConstraintName: 'FK_grants_connection' })
  connection?: Relation<Connection>;

  @Column({ name: 'instance_id', type: 'uuid' })
  instanceId: string;

  @ManyToOne(() => Instance, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'instance_id', foreignKeyConstraintName: 'FK_grants_instance' })
  instance?: Relation<Instance>;

  /**
   * The granted connection's provider, which the runtime fetch looks grants up by. PostgreSQL copies it
   * from the connection on insert (migration GrantsProvider): never written from here.
   */
  @Column({ type: 'varchar', length: 50, insert: false, update: false })
  provider: string;

  @Column({ type: 'jsonb' })
  capabilities: string[];

  @CreateDateColumn({ name: 'granted_at', type: 'timestamptz' })
  grantedAt: Date;
}
