import type { DataSource } from 'typeorm';

/**
 * The SQL that would bring the database to the entities: empty when the migrations describe the
 * entities exactly. Used to generate migrations and by the test that fails when they disagree.
 */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<{ up: string[]; down: string[] }> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return { up: sql.upQueries.map((query) => query.query), down: sql.downQueries.map((query) => query.query).reverse() };
}
