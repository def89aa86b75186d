import { TIMESTAMP_SHAPE, UUID_SHAPE } from '../support/expectations';
import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer } from '../support/factories';
import { TestApp } from '../support/test-app';

/**
 * A connection's JSON is written by PostgreSQL (the `connections_json` trigger and the grant lists of
 * migration ConnectionJson, spliced by `ConnectionReads`), a grant's by `GrantsService` as well; the
 * contract's shapes are the DTOs `ConnectionResponse` and `GrantResponse`, as the OpenAPI document the
 * service serves describes them. Every response holding a connection or a grant must have exactly the
 * DTO's fields, in its order, each of its type: a field added to one side and not the other fails here
 * (docs/architecture.md, "Adding a field to Connection").
 */
type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: unknown;
};

describe('The Connection and Grant shapes: what PostgreSQL and the services write agrees with the DTOs, field by field', () => {
  let t: TestApp;
  let schemas: Record<string, Schema>;
  let customer: TestCustomer;

  beforeAll(async () => {
    t = await TestApp.start();
    schemas = (await t.http().get('/openapi.json').expect(200)).body.components.schemas;
    customer = await createCustomer(t);
  });
  afterAll(() => t.close());

  /** How `value` differs from `schema`: missing, extra or reordered fields, and values of another type. */
  function differences(value: unknown, schema: Schema, at: string): string[] {
    if (schema.$ref) return differences(value, schemas[schema.$ref.replace('#/components/schemas/', '')], at);
    if (value === null) return schema.nullable ? [] : [`${at}: null, not nullable`];
    if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
    if (schema.type === 'array') {
      if (!Array.isArray(value)) return [`${at}: not an array`];
      return value.flatMap((item, index) => differences(item, schema.items!, `${at}[${index}]`));
    }
    if (schema.properties) {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
      const [fields, expected] = [Object.keys(value), Object.keys(schema.properties)];
      if (fields.join() !== expected.join()) return [`${at}: fields ${fields.join(',')} where the DTO has ${expected.join(',')}`];
      return expected.flatMap((field) => differences((value as Record<string, unknown>)[field], schema.properties![field], `${at}.${field}`));
    }
    if (schema.type === 'object') return typeof value === 'object' && !Array.isArray(value) ? [] : [`${at}: not an object`];
    if (schema.type === 'integer') return Number.isInteger(value) ? [] : [`${at}: not an integer`];
    if (schema.type === 'string') {
      if (typeof value !== 'string') return [`${at}: not a string`];
      if (schema.format === 'uuid' && !UUID_SHAPE.test(value)) return [`${at}: not a uuid`];
      if (schema.format === 'date-time' && !TIMESTAMP_SHAPE.test(value)) return [`${at}: not an API timestamp`];
      return [];
    }
    return [`${at}: the check knows no schema ${JSON.stringify(schema)}`];
  }
  const connectionPath = (id = '') => `/v1/customers/${customer.id}/connections${id ? `/${id}` : ''}`;

  it('holds for every field filled in: create, update, get, list, and the grant as created', async () => {
    const created = await t
      .http()
      .post(connectionPath())
      .set(customer.headers)
      .send({ provider: 'xero', name: 'full', scopes: ['a'], metadata_json: { k: [1, 'two'] }, credentials: { expires_in: 60 } })
      .expect(201);
    const grant = await t
      .http()
      .post(`${connectionPath(created.body.id)}/grants`)
      .set(customer.headers)
      .send({ instance_id: (await createInstance(t, customer)).id, capabilities: ['read'] })
      .expect(201);
    await t.db.query(`UPDATE connections SET status = 'error', error_message = 'refused upstream' WHERE id = $1`, [created.body.id]);
    await t.db.query('UPDATE connection_last_uses SET last_used_at = now() WHERE connection_id = $1', [created.body.id]);
    const updated = await t.http().patch(connectionPath(created.body.id)).set(customer.headers).send({ name: 'full, renamed' }).expect(200);
    const one = await t.http().get(connectionPath(created.body.id)).set(customer.headers).expect(200);
    const list = await t.http().get(`${connectionPath()}?provider=xero`).set(customer.headers).expect(200);

    expect(one.body).toMatchObject({ error_message: 'refused upstream', last_used_at: expect.any(String), expires_at: expect.any(String), grants: [expect.any(Object)] });
    expect({
      create: differences(created.body, { $ref: 'ConnectionResponse' }, 'create'),
      update: differences(updated.body, { $ref: 'ConnectionResponse' }, 'update'),
      get: differences(one.body, { $ref: 'ConnectionResponse' }, 'get'),
      list: differences(list.body, { $ref: 'ConnectionListResponse' }, 'list'),
      grant: differences(grant.body, { $ref: 'GrantResponse' }, 'grant'),
    }).toEqual({ create: [], update: [], get: [], list: [], grant: [] });
    expect(grant.body).toEqual(one.body.grants[0]);
  });

  it('holds with every nullable field null and no grant', async () => {
    const connection = await createConnection(t, customer, { provider: 'deputy' });
    const one = await t.http().get(connectionPath(connection.id)).set(customer.headers).expect(200);
    expect(one.body).toMatchObject({ error_message: null, metadata_json: null, expires_at: null, last_used_at: null, grants: [] });
    expect(differences(one.body, { $ref: 'ConnectionResponse' }, 'get')).toEqual([]);
  });

  it('finds a field the DTO does not have (the check above can fail)', async () => {
    const connection = await createConnection(t, customer, { provider: 'slack' });
    await grantConnection(t, customer, connection, await createInstance(t, customer));
    const one = (await t.http().get(connectionPath(connection.id)).set(customer.headers).expect(200)).body;
    expect(differences({ ...one, credentials: {} }, { $ref: 'ConnectionResponse' }, 'get')).toEqual([expect.stringContaining('fields')]);
    expect(differences({ ...one, grants: [{ ...one.grants[0], granted_at: 'yesterday' }] }, { $ref: 'ConnectionResponse' }, 'get')).toEqual([
      'get.grants[0].granted_at: not an API timestamp',
    ]);
  });
});
