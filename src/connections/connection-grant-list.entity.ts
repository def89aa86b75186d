import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The grants of a connection as the API shows them, a JSON array ready to be spliced into the
 * connection's JSON (see `ConnectionReads`). Kept by statement triggers on `grants` (see the migration
 * ConnectionJson); a connection without grants has no row. Deliberately without a foreign key to
 * `connections`: a row is only ever locked after the grants it lists (see the migration).
 */
@Entity('connection_grant_lists')
export class ConnectionGrantList {
  @PrimaryColumn({ name: 'connection_id', type: 'uuid' })
  connectionId: string;

  @Column({ type: 'text' })
  grants: string;
}
