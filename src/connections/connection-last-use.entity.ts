import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Connection } from './connection.entity';

/**
 * When a connection was last fetched, in a narrow table of its own rather than in the connection's
 * row: at a million connections nearly every fetch writes a different row, and a `connections` row
 * is a kilobyte on a table larger than the buffer cache, so each write there dirtied (and, after a
 * checkpoint, logged whole) a page of its own. Here a page holds some 125 rows and the table stays in
 * memory (see the migration ConnectionLastUses). Every connection has its row, made with it by a
 * trigger, so `LastUsedRecorder` only ever updates; it goes with the connection.
 */
@Entity('connection_last_uses')
export class ConnectionLastUse {
  @PrimaryColumn({ name: 'connection_id', type: 'uuid' })
  connectionId: string;

  @ManyToOne(() => Connection, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id', foreignKeyConstraintName: 'FK_connection_last_uses_connection' })
  connection?: Relation<Connection>;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
