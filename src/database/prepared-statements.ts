import { Injectable } from '@nestjs/common';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * A statement with a name is parsed and planned once per connection (the name must be unique to its
 * text). One without is planned for its values every time: for the few queries whose best plan
 * depends on them, such as a page of a customer with 100 connections or with 100,000.
 */
export interface PreparedStatement {
  name?: string;
  text: string;
}

/**
 * Runs statements written by hand on TypeORM's own pool: the reads of connections as JSON. PostgreSQL
 * re-plans an unnamed query every time; a named one is parsed and planned once per connection. The
 * key lookups of the hot path go through `PipelinedStatements`; everything else through repositories.
 */
@Injectable()
export class PreparedStatements {
  private readonly pool: Pool;

  constructor(dataSource: DataSource) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  async rows<T extends QueryResultRow>(statement: PreparedStatement, values: unknown[]): Promise<T[]> {
    const result = await this.pool.query<T>({ name: statement.name, text: statement.text, values });
    return result.rows;
  }
}
