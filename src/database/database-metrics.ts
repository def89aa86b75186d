import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { Metrics } from '../metrics/metrics';
import { PipelinedStatements } from './pipelined-statements';

/** The database connections in use, read when scraped: TypeORM's pool and the pipelined lookups. */
@Injectable()
export class DatabaseMetrics {
  constructor(metrics: Metrics, dataSource: DataSource, pipelined: PipelinedStatements) {
    const pool = () => (dataSource.isInitialized ? ((dataSource.driver as PostgresDriver).master as Pool) : undefined);
    metrics.gauge('hydracore_db_pool_connections', 'Connections of the database pool, by state', ['state'], (gauge) => {
      const current = pool();
      gauge.set({ state: 'total' }, current?.totalCount ?? 0);
      gauge.set({ state: 'idle' }, current?.idleCount ?? 0);
    });
    metrics.gauge('hydracore_db_pool_waiting_requests', 'Queries waiting for a free connection of the pool', [], (gauge) => {
      gauge.set(pool()?.waitingCount ?? 0);
    });
    metrics.gauge('hydracore_db_pipelined_connections', 'Open connections of the pipelined lookups (the fetch path)', [], (gauge) => {
      gauge.set(pipelined.openConnections);
    });
  }
}
