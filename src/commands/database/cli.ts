import { writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DATA_DIR, loadConfig } from '../../config/app-config';
import { connectEmbeddedPostgres } from '../../database/embedded-postgres';
import { migrationDataSourceOptions, runPendingMigrations } from '../../database/migrate';
import { pendingSchemaChanges } from '../../database/schema-diff';
import { ENTITIES } from '../../entities';

const MIGRATIONS_DIR = resolve(process.cwd(), 'migrations');
const MIGRATIONS_INDEX_COMMENT = '/** Every migration, in order. `npm run migration:generate` appends new ones here. */';

/** `run`: apply pending migrations. `generate <Name>`: write a migration for what the entities changed. */
async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (command !== 'run' && command !== 'generate') {
    throw new Error('usage: cli.js run | generate <WhatChanged>');
  }
  const config = loadConfig();
  const embedded = config.databaseUrl === undefined ? await connectEmbeddedPostgres(join(DATA_DIR, 'postgres')) : undefined;
  const url = config.databaseUrl ?? embedded!.url;
  try {
    if (command === 'run') {
      const applied = await runPendingMigrations(url);
      console.log(applied.length ? `applied: ${applied.map((migration) => migration.name).join(', ')}` : 'no pending migrations');
    } else {
      // Diff against a scratch database built from the migrations alone, never against a database
      // that may hold changes of its own.
      await withScratchDatabase(url, (scratchUrl) =>
        withDataSource(scratchUrl, async (dataSource) => {
          await dataSource.runMigrations({ transaction: 'each' });
          const { up, down } = await pendingSchemaChanges(dataSource);
          console.log(up.length === 0 ? 'the entities and the migrations agree: nothing to generate' : `wrote ${writeMigration(name ?? 'SchemaChange', up, down)}`);
        }),
      );
    }
  } finally {
    await embedded?.stop();
  }
}

async function withDataSource(url: string, work: (dataSource: DataSource) => Promise<void>): Promise<void> {
  const dataSource = new DataSource(migrationDataSourceOptions(url, ENTITIES));
  await dataSource.initialize();
  try {
    await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

async function withScratchDatabase(serverUrl: string, work: (url: string) => Promise<void>): Promise<void> {
  const name = `hydracore_migration_scratch_${process.pid}`;
  const run = async (sql: string) => {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`DROP DATABASE IF EXISTS ${name}`);
  await run(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    await work(url.toString());
  } finally {
    await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
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
