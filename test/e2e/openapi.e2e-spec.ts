import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TestApp } from '../support/test-app';

type Operation = { operationId?: string; security?: Record<string, string[]>[]; tags?: string[]; responses: Record<string, { content?: unknown }> };

describe('OpenAPI document', () => {
  let t: TestApp;
  let served: { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> } };
  beforeAll(async () => {
    t = await TestApp.start();
    served = (await t.http().get('/openapi.json').expect(200)).body;
  });
  afterAll(() => t.close());

  const operations = () =>
    Object.entries(served.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));

  it('is committed as ./openapi.json exactly as served (run `npm run openapi` after an API change)', () => {
    const file = resolve(process.cwd(), 'openapi.json');
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(served);
  });

  it('declares an X-Api-Key apiKey scheme and an http bearer scheme', () => {
    expect(served.components.securitySchemes).toEqual({
      api_key: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }),
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
  });

  it('gives every operation a unique operationId and one tag', () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z]+$/);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { operation } of operations()) expect(operation.tags).toHaveLength(1);
  });

  it('names the operations of customers, API keys, instances and health as clients call them', () => {
    const byRoute = Object.fromEntries(operations().map(({ path, method, operation }) => [`${method.toUpperCase()} ${path}`, operation.operationId]));
    expect(byRoute).toMatchObject({
      'POST /v1/customers': 'createCustomer',
      'GET /v1/customers': 'listCustomers',
      'GET /v1/customers/{customer_id}': 'getCustomer',
      'DELETE /v1/customers/{customer_id}': 'deleteCustomer',
      'POST /v1/customers/{customer_id}/api-keys': 'createApiKey',
      'GET /v1/customers/{customer_id}/api-keys': 'listApiKeys',
      'DELETE /v1/customers/{customer_id}/api-keys/{api_key_id}': 'deleteApiKey',
      'POST /v1/customers/{customer_id}/instances': 'createInstance',
      'GET /v1/customers/{customer_id}/instances': 'listInstances',
      'DELETE /v1/customers/{customer_id}/instances/{instance_id}': 'deleteInstance',
      'POST /v1/customers/{customer_id}/instances/{instance_id}/proxy-key': 'rotateProxyKey',
      'GET /health/live': 'live',
      'GET /health/ready': 'ready',
    });
  });

  it('names the schemes each operation accepts: /v1 and /metrics take both, /internal the bearer only, health none', () => {
    for (const { path, operation } of operations()) {
      if (path.startsWith('/v1/') || path === '/metrics') expect(operation.security).toEqual([{ api_key: [] }, { bearer: [] }]);
      else if (path.startsWith('/internal/')) expect(operation.security).toEqual([{ bearer: [] }]);
      else {
        expect(path).toMatch(/^\/health\//);
        expect(operation.security ?? []).toEqual([]);
      }
    }
  });

  it('documents every response code with its schema, and the FastAPI error bodies', () => {
    for (const { path, method, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status === '204') continue;
        if (path === '/metrics' && status === '200') {
          expect(response.content).toEqual({ 'text/plain': { schema: { type: 'string', example: expect.any(String) } } });
          continue;
        }
        // The audit export streams NDJSON, one AuditEvent a line.
        const ndjson = status === '200' && path.endsWith('/audit-events/export');
        expect({ route: `${method} ${path}`, status, content: response.content }).toEqual({
          route: `${method} ${path}`,
          status,
          content: ndjson ? { 'application/x-ndjson': { schema: { type: 'string', example: expect.any(String) } } } : { 'application/json': { schema: expect.any(Object) } },
        });
      }
      if (path.startsWith('/v1/') || path.startsWith('/internal/')) {
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '422', '500']));
        expect(operation.responses['422'].content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/ValidationErrorResponse' } } });
        expect(operation.responses['401'].content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } });
      }
    }
    expect(Object.keys(served.components.schemas)).toEqual(expect.arrayContaining(['ErrorResponse', 'ValidationErrorResponse', 'InternalErrorResponse']));
  });

  it('documents the key shown once on creation, and never in lists', () => {
    const schemas = served.components.schemas as Record<string, { properties: Record<string, unknown> }>;
    const schemaOf = (path: string, method: string, status: string) => {
      const ref = (served.paths[path][method].responses[status].content as { 'application/json': { schema: { $ref: string } } })['application/json'].schema.$ref;
      return schemas[ref.split('/').pop()!];
    };
    expect(Object.keys(schemaOf('/v1/customers/{customer_id}/api-keys', 'post', '201').properties)).toContain('key');
    expect(Object.keys(schemaOf('/v1/customers/{customer_id}/instances', 'post', '201').properties)).toContain('proxy_key');
    const listedKey = schemas.ApiKeyListResponse.properties.api_keys as { items: { $ref: string } };
    expect(Object.keys(schemas[listedKey.items.$ref.split('/').pop()!].properties)).not.toContain('key');
    const listedInstance = schemas.InstanceListResponse.properties.instances as { items: { $ref: string } };
    expect(Object.keys(schemas[listedInstance.items.$ref.split('/').pop()!].properties)).not.toContain('proxy_key');
  });
});
