import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import request, { type Response } from 'supertest';
import { signJwt, unsignedJwt } from '../support/expectations';
import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer } from '../support/factories';
import { TEST_ADMIN_KEY, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, TestApp } from '../support/test-app';

/** Requests per operation, and the seed that makes every run send the same ones. */
const CASES_PER_OPERATION = 40;
const SEED = 16_2026;

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  example?: unknown;
};
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: Schema;
}
interface Operation {
  method: string;
  path: string;
  operationId: string;
  parameters: Parameter[];
  bodySchema?: Schema;
}

/** Whether a string (or key) anywhere in `value` holds an unpaired surrogate. */
function holdsLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return /[\ud800-\udfff]/u.test(value);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, item]) => holdsLoneSurrogate(key) || holdsLoneSurrogate(item));
}

/** One hostile request. */
interface Case {
  pathValues: string[];
  query: string;
  auth: Record<string, string>;
  contentType: string | undefined;
  body: string | Buffer | undefined;
}

const HOSTILE_IDS = [
  '',
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
  '{00000000-0000-4000-8000-000000000000}',
  "1'%20OR%20'1'='1",
  '..%2F..%2Fetc%2Fpasswd',
  '%',
  '%zz',
  '%00',
  '%C0%AF',
  '%ED%A0%80',
  '%F0%9F%98%80',
  'a'.repeat(600),
  '-1',
  '1e999',
  '__proto__',
  'constructor',
  '%5B%5D',
];

const HOSTILE_QUERY_VALUES = ['', '-1', '0', '1', '1001', '1e3', '0x10', ' 5', '5 ', '99999999999999999999', 'NaN', 'abc', '%00', '%ZZ', '%ED%A0%80', 'a'.repeat(300), '%F0%9F%98%80', 'active'];
const HOSTILE_QUERY_NAMES = ['limit', 'offset', 'provider', 'status', 'name', 'capability', '__proto__', 'constructor', 'limit[]', 'provider[x]', 'a'.repeat(100)];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  ';;;',
];

/** Every request of every operation the served document lists, with hostile ids, queries, bodies, content types and credentials. */
describe('Fuzz of every route of the served OpenAPI document', () => {
  let t: TestApp;
  let base: string;
  let customer: TestCustomer;
  let other: TestCustomer;
  /** Every secret the test made or the service holds: none may appear in an answer that does not name it. */
  const secrets = new Set<string>();
  /** Real ids, by the name of the path parameter they fill; unknown names take any of them. */
  const ids: Record<string, string[]> = {};
  const credentialValues: string[] = [];

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
    other = await createCustomer(t);
    const instance = await createInstance(t, customer);
    const credential = `fuzz-credential-${randomUUID()}`;
    credentialValues.push(credential);
    const connection = await createConnection(t, customer, { provider: 'gmail', credentials: { access_token: credential, refresh_token: `${credential}-r` } });
    credentialValues.push(`${credential}-r`);
    const grant = await grantConnection(t, customer, connection, instance, ['read']);
    const keys = await t.http().get(`/v1/customers/${customer.id}/api-keys`).set(customer.headers).expect(200);
    for (const secret of [TEST_ADMIN_KEY, TEST_JWT_SECRET, TEST_ENCRYPTION_KEY, customer.apiKey, other.apiKey, instance.proxyKey, ...credentialValues]) secrets.add(secret);
    Object.assign(ids, {
      customer_id: [customer.id, other.id],
      connection_id: [connection.id],
      instance_id: [instance.id],
      grant_id: [grant.id],
      api_key_id: [keys.body.api_keys[0].id],
    });
    auths = [
      {},
      { 'X-Api-Key': TEST_ADMIN_KEY },
      { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      customer.headers,
      other.headers,
      { Authorization: `Bearer ${customer.apiKey}` },
      instance.headers,
      { 'X-Api-Key': instance.proxyKey },
      { Authorization: `Bearer ${await signJwt({ roles: ['admin'] })}` },
      { Authorization: `Bearer ${await signJwt({ customer_id: customer.id })}` },
      { Authorization: `Bearer ${await signJwt({ roles: ['admin'] }, { expiresAt: Math.floor(Date.now() / 1000) - 60 })}` },
      { Authorization: `Bearer ${unsignedJwt({ roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 60 })}` },
      { Authorization: 'Bearer' },
      { Authorization: 'Basic YWRtaW46YWRtaW4=' },
      { Authorization: `Bearer ${'x'.repeat(4000)}` },
      { 'X-Api-Key': 'hck_' + 'A'.repeat(43) },
      { 'X-Api-Key': '', Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      { 'X-Api-Key': TEST_ADMIN_KEY.toUpperCase() },
    ];
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  let auths: Record<string, string>[] = [];

  function operationsOf(document: { paths: Record<string, Record<string, { operationId: string; parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }>> }): Operation[] {
    const operations: Operation[] = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        operations.push({
          method,
          path,
          operationId: operation.operationId,
          parameters: operation.parameters ?? [],
          bodySchema: operation.requestBody?.content['application/json']?.schema,
        });
      }
    }
    // What destroys the fixtures (deletions, key rotations) goes last, so the rest meets real rows.
    const destructive = (operation: Operation) => operation.method === 'delete' || /rotate|proxy-key/i.test(`${operation.operationId} ${operation.path}`);
    return [...operations.filter((operation) => !destructive(operation)), ...operations.filter(destructive)];
  }

  function resolve(schema: Schema | undefined, components: Record<string, Schema>): Schema | undefined {
    return schema?.$ref ? components[schema.$ref.split('/').pop()!] : schema;
  }

  /** A value the schema accepts (roughly): the base that the mutations below start from. */
  function plausible(schema: Schema | undefined, components: Record<string, Schema>, name = ''): unknown {
    const resolved = resolve(schema, components);
    if (!resolved) return {};
    if (resolved.example !== undefined) return resolved.example;
    if (resolved.enum) return resolved.enum[0];
    switch (resolved.type) {
      case 'object':
        return Object.fromEntries(Object.entries(resolved.properties ?? {}).map(([key, value]) => [key, plausible(value, components, key)]));
      case 'array':
        return [plausible(resolved.items, components)];
      case 'string':
        if (resolved.format === 'uuid') return (ids[name] ?? ids.instance_id)[0];
        if (resolved.format === 'uri') return 'https://example.com/hook';
        return `fuzz ${name}`;
      case 'integer':
      case 'number':
        return 1;
      case 'boolean':
        return true;
      default:
        return {};
    }
  }

  /** Hostile bodies: the plausible one, mutated; JSON that is not what a client could mean; not JSON at all. */
  function bodyArbitrary(operation: Operation, components: Record<string, Schema>): fc.Arbitrary<string | Buffer | undefined> {
    const valid = plausible(operation.bodySchema, components) as Record<string, unknown>;
    const fields = Object.keys(valid ?? {});
    const hostileValue = fc.constantFrom<unknown>(
      null,
      5,
      -1,
      true,
      '',
      'x'.repeat(70_000),
      [],
      {},
      { __proto__: { polluted: true } },
      '\u0000',
      ['a', 5],
      { toString: 'x', constructor: null },
      Number.MAX_VALUE,
    );
    const rawValue = fc.constantFrom('1e400', '-0', '12345678901234567890', '"\\ud800"', '"\\udc00\\ud800"', '[' .repeat(50) + ']'.repeat(50), '{"a":'.repeat(40) + '1' + '}'.repeat(40));
    return fc.oneof(
      fc.constant(undefined),
      fc.constant(JSON.stringify(valid)),
      fc.tuple(fc.constantFrom(...(fields.length > 0 ? fields : ['x'])), hostileValue).map(([field, value]) => JSON.stringify({ ...valid, [field]: value })),
      fc.tuple(fc.constantFrom(...(fields.length > 0 ? fields : ['x'])), rawValue).map(([field, raw]) => {
        const rest = JSON.stringify({ ...valid, [field]: 0 });
        return rest.replace(`"${field}":0`, `"${field}":${raw}`);
      }),
      fc.constantFrom('{', '[]', 'null', '"text"', '1e999', '', ' ', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}', `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
      fc.constant(Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])),
      fc.constant(Buffer.from(JSON.stringify(valid), 'utf16le')),
      fc.constantFrom(`{"pad":"${'p'.repeat(300_000)}"}`, `{"pad":"${'p'.repeat(1_100_000)}"}`),
      fc.string({ maxLength: 40 }),
    );
  }

  function caseArbitrary(operation: Operation, components: Record<string, Schema>): fc.Arbitrary<Case> {
    const pathParameters = operation.parameters.filter((parameter) => parameter.in === 'path');
    const documented = operation.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
    const idFor = (name: string) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...(ids[name] ?? Object.values(ids).flat())) },
        { weight: 1, arbitrary: fc.uuid().map(String) },
        { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_IDS) },
      );
    const queryPair = fc.tuple(fc.constantFrom(...documented, ...HOSTILE_QUERY_NAMES), fc.constantFrom(...HOSTILE_QUERY_VALUES));
    return fc.record({
      pathValues: fc.tuple(...pathParameters.map((parameter) => idFor(parameter.name))),
      query: fc.array(queryPair, { maxLength: 4 }).map((pairs) => pairs.map(([name, value]) => `${encodeURIComponent(name)}=${value}`).join('&')),
      auth: fc.constantFrom(...auths),
      contentType: fc.oneof({ weight: 3, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom<string | undefined>(undefined, ...CONTENT_TYPES) }),
      body: bodyArbitrary(operation, components),
    });
  }

  function send(operation: Operation, hostile: Case): Promise<Response> {
    let path = operation.path;
    operation.parameters
      .filter((parameter) => parameter.in === 'path')
      .forEach((parameter, index) => (path = path.replace(`{${parameter.name}}`, hostile.pathValues[index])));
    const url = hostile.query ? `${path}?${hostile.query}` : path;
    const method = operation.method as 'get' | 'post' | 'patch' | 'delete' | 'put';
    let pending = request(base)[method](url).set(hostile.auth);
    if (hostile.contentType !== undefined) pending = pending.set('Content-Type', hostile.contentType);
    if (hostile.body !== undefined) pending = pending.serialize((body: unknown) => body as string).send(hostile.body as string);
    return pending.ok(() => true);
  }

  /** The FastAPI error body, and nothing of the request's secrets. */
  function expectSafeAnswer(operation: Operation, response: Response): void {
    const where = `${operation.method.toUpperCase()} ${operation.path} → ${response.status}`;
    expect({ where, status: response.status < 500 }).toEqual({ where, status: true });
    if (response.status >= 400) {
      expect({ where, type: response.headers['content-type'] }).toEqual({ where, type: expect.stringMatching(/^application\/json/) });
      const body = response.body as { detail: unknown };
      const keys = Object.keys(body).filter((key) => key !== 'code');
      expect({ where, keys }).toEqual({ where, keys: ['detail'] });
      if (typeof body.detail !== 'string') {
        expect({ where, detail: Array.isArray(body.detail) && body.detail.length > 0 }).toEqual({ where, detail: true });
        for (const issue of body.detail as { loc: unknown[]; msg: unknown; type: unknown }[]) {
          expect({ where, issue }).toEqual({
            where,
            issue: { loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) },
          });
          expect(['body', 'path', 'query', 'header']).toContain(issue.loc[0]);
        }
      }
      if (response.status === 401) expect(response.headers['www-authenticate']).toBe('Bearer');
      // Valid Unicode, even when it names a field the client wrote with a lone surrogate.
      expect({ where, lone: holdsLoneSurrogate(body) }).toEqual({ where, lone: false });
    }
    const answer = `${JSON.stringify(response.headers)}\n${response.text ?? ''}`;
    // Only the fetch's 200, to the instance the connection is granted to, carries the credentials.
    const named = operation.operationId === 'fetchConnectionCredentials' && response.status === 200 ? credentialValues : [];
    for (const secret of secrets) {
      if (!named.includes(secret)) expect({ where, leaked: answer.includes(secret) }).toEqual({ where, leaked: false });
    }
    // Keys made by the fuzz (a new API key, a rotated proxy key) are secrets from now on.
    if (response.status < 300 && response.body && typeof response.body === 'object') {
      for (const field of ['key', 'proxy_key', 'secret', 'client_secret']) {
        const value = (response.body as Record<string, unknown>)[field];
        if (typeof value === 'string' && value.length >= 16) secrets.add(value);
      }
    }
  }

  it('answers every hostile request below 500, in the error shape, without a secret', async () => {
    const document = (await request(base).get('/openapi.json').expect(200)).body;
    const components = document.components?.schemas ?? {};
    const operations = operationsOf(document);
    // The document names the routes of this branch at least; routes added later are fuzzed the same way.
    expect(operations.map((operation) => operation.operationId)).toEqual(expect.arrayContaining(['createConnection', 'updateConnection', 'fetchConnectionCredentials', 'createGrant', 'deleteCustomer']));
    const statuses: Record<number, number> = {};
    for (const [index, operation] of operations.entries()) {
      const cases = fc.sample(caseArbitrary(operation, components), { seed: SEED + index, numRuns: CASES_PER_OPERATION });
      for (const hostile of cases) {
        const response = await send(operation, hostile);
        expectSafeAnswer(operation, response);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      }
    }
    // The requests reached past every layer: authentication, validation, the handlers.
    for (const status of [200, 401, 403, 404, 413, 415, 422]) expect({ status, seen: (statuses[status] ?? 0) > 0 }).toEqual({ status, seen: true });
    // Nor in what the service logged meanwhile.
    const logs = t.logLines.join('\n');
    for (const secret of secrets) expect(logs.includes(secret)).toBe(false);
  }, 120_000);
});
