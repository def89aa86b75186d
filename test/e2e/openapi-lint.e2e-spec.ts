import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The committed `openapi.json` (equal to what the server serves: openapi.e2e-spec.ts) as its readers and
 * the SDK generator meet it: lint-clean by Redocly with `redocly.yaml`, and every operation explained
 * with a summary, a description and examples of what it takes and answers (docs/architecture.md says
 * how a new operation gets them).
 */
type Schema = { $ref?: string; type?: string; example?: unknown; properties?: Record<string, Schema>; items?: Schema };
type Operation = {
  operationId: string;
  summary?: string;
  description?: string;
  parameters?: { name: string; example?: unknown; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};

const ROOT = process.cwd();
const document: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } } = JSON.parse(
  readFileSync(resolve(ROOT, 'openapi.json'), 'utf8'),
);
const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));

/** The fields of a schema, at any depth, that show no example: `Schema.field[].field`. */
function fieldsWithoutExample(schema: Schema, at: string, seen = new Set<string>()): string[] {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    if (seen.has(name)) return [];
    return fieldsWithoutExample(document.components.schemas[name], name, new Set([...seen, name]));
  }
  if (schema.items && schema.example === undefined) return fieldsWithoutExample(schema.items, `${at}[]`, seen);
  if (schema.properties) {
    return Object.entries(schema.properties).flatMap(([field, property]) =>
      property.example !== undefined ? [] : property.$ref || property.items || property.properties ? fieldsWithoutExample(property, `${at}.${field}`, seen) : [`${at}.${field}`],
    );
  }
  return schema.example === undefined ? [at] : [];
}

describe('openapi.json, as its readers meet it', () => {
  it('passes `redocly lint` with redocly.yaml: no error, no warning', async () => {
    const { stdout } = await promisify(execFile)(resolve(ROOT, 'node_modules/.bin/redocly'), ['lint', 'openapi.json', '--format=json'], {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((error: { stdout: string }) => error);
    const report = JSON.parse(stdout);
    expect(report.problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it.each(operations.map((operation) => [operation.operationId, operation] as const))('%s has a summary and a description', (_id, operation) => {
    expect(operation.summary).toMatch(/\S/);
    expect(operation.description).toMatch(/\S{3}/);
  });

  it.each(operations.map((operation) => [operation.operationId, operation] as const))(
    '%s shows an example of every parameter, request field and response field',
    (_id, operation) => {
      const missing = [
        ...(operation.parameters ?? []).filter((parameter) => (parameter.example ?? parameter.schema?.example) === undefined).map((parameter) => `parameter ${parameter.name}`),
        ...Object.values(operation.requestBody?.content ?? {}).flatMap(({ schema }) => fieldsWithoutExample(schema, 'request')),
        ...Object.entries(operation.responses).flatMap(([status, response]) =>
          Object.values(response.content ?? {}).flatMap(({ schema }) => fieldsWithoutExample(schema, status).map((field) => `${status}: ${field}`)),
        ),
      ];
      expect(missing).toEqual([]);
    },
  );

  it('finds a field without an example (the check above can fail)', () => {
    expect(fieldsWithoutExample({ type: 'object', properties: { shown: { type: 'string', example: 'x' }, bare: { type: 'string' } } }, 'Probe')).toEqual([
      'Probe.bare',
    ]);
  });
});
