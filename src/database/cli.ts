import { writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { DATA_DIR, loadConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { startEmbeddedPostgres } from './embedded-postgres';
import { pendingSchemaChanges } from './schema-diff';

const MIGRATIONS_DIR = resolve(process.cwd(), 'migrations');
const MIGRATIONS_INDEX_COMMENT = '/** Every migration, in order. `npm run migration:generate` appends new ones here. */';

/** `run`: apply pending migrations. `generate <Name>`: write a migration for what the entities changed. */
async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (command !== 'run' && command !== 'generate') {
    throw new Error('usage: cli.js run | generate <WhatChanged>');
  }
  const config = loadConfig();
  const embedded = config.databaseUrl === undefined ? await startEmbeddedPostgres(join(DATA_DIR, 'postgres')) : undefined;
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl ?? embedded!.url));
  try {
    await dataSource.initialize();
    if (command === 'run') {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      console.log(applied.length ? `applied: ${applied.map((migration) => migration.name).join(', ')}` : 'no pending migrations');
    } else {
      await dataSource.runMigrations({ transaction: 'each' });
      const { up, down } = await pendingSchemaChanges(dataSource);
      if (up.length === 0) {
        console.log('the entities and the migrations agree: nothing to generate');
      } else {
        console.log(`wrote ${writeMigration(name ?? 'SchemaChange', up, down)}`);
      }
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

function writeMigration(name: string, up: string[], down: string[]): string {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error('the migration name is PascalCase, e.g. AddConnectionNotes');
  const timestamp = Date.now();
  const className = `${name}${timestamp}`;
  const file = `${timestamp}-${name}.ts`;
  const literal = (query: string) => (/[`\\]|\$\{/.test(query) ? JSON.stringify(query) : `\`${query.replace(/\s+/g, ' ').trim()}\``);
  const statements = (queries: string[]) => queries.map((query) => `    await queryRunner.query(${literal(query)});`).join('\n');
  writeFileSync(
    join(MIGRATIONS_DIR, file),
    `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${statements(up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${statements(down)}
  }
}
`,
  );
  const index = join(MIGRATIONS_DIR, 'index.ts');
  const imports = readFileSync(index, 'utf8').split('\n').filter((line) => line.startsWith('import '));
  imports.push(`import { ${className} } from './${file.replace(/\.ts$/, '')}';`);
  const classNames = imports.map((line) => /import \{ (\w+) \}/.exec(line)![1]);
  writeFileSync(
    index,
    `${imports.join('\n')}\n\n${MIGRATIONS_INDEX_COMMENT}\nexport const MIGRATIONS: Function[] = [${classNames.join(', ')}];\n`,
  );
  return `migrations/${file}`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
