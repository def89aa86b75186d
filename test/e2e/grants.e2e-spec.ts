import { createConnection, createCustomer, createInstance, type TestConnection, type TestCustomer } from '../support/factories';
import { asAdmin, TestApp } from '../support/test-app';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('Grants', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let other: TestCustomer;
  const grantsPath = (c: TestCustomer, connection: { id: string }, suffix = '') => `/v1/customers/${c.id}/connections/${connection.id}/grants${suffix}`;

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
    other = await createCustomer(t);
  });
  afterAll(() => t.close());

  describe('POST /v1/customers/:customer_id/connections/:connection_id/grants', () => {
    let connection: TestConnection;
    beforeAll(async () => {
      connection = await createConnection(t, customer);
    });

    it('grants a connection to an instance of the same customer', async () => {
      const instance = await createInstance(t, customer);
      const response = await t.http().post(grantsPath(customer, connection)).set(customer.headers).send({ instance_id: instance.id, capabilities: ['send_mail', 'read_mail'] }).expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        connection_id: connection.id,
        instance_id: instance.id,
        capabilities: ['send_mail', 'read_mail'],
        granted_at: expect.stringMatching(/\.\d{3}Z$/),
      });
    });

    it('accepts an empty capability list', async () => {
      const instance = await createInstance(t, customer);
      const response = await t.http().post(grantsPath(customer, connection)).set(customer.headers).send({ instance_id: instance.id, capabilities: [] }).expect(201);
      expect(response.body.capabilities).toEqual([]);
    });

    it('answers a second grant of the same pair with 409', async () => {
      const instance = await createInstance(t, customer);
      await t.http().post(grantsPath(customer, connection)).set(customer.headers).send({ instance_id: instance.id, capabilities: [] }).expect(201);
      const second = await t.http().post(grantsPath(customer, connection)).set(customer.headers).send({ instance_id: instance.id, capabilities: ['x'] });
      expect(second.status).toBe(409);
      expect(second.body).toEqual({ detail: expect.any(String) });
    });

    it('ends concurrent grants of the same pair in one 201 and clean 409s', async () => {
      const instance = await createInstance(t, customer);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => t.http().post(grantsPath(customer, connection)).set(customer.headers).send({ instance_id: instance.id, capabilities: [] })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM grants WHERE instance_id = $1', [instance.id]);
      expect(count).toBe(1);
    });

    it('answers 404 for another customer’s instance, and stores no grant', async () => {
      const foreign = await createInstance(t, other);
      const response = await t.http().post(grantsPath(customer, connection)).set(customer.headers).send({ instance_id: foreign.id, capabilities: [] });
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ detail: 'Instance not found' });
      const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM grants WHERE instance_id = $1', [foreign.id]);
      expect(count).toBe(0);
    });

    it('answers 404 for an unknown instance and for another customer’s connection', async () => {
      const instance = await createInstance(t, customer);
      expect((await t.http().post(grantsPath(customer, connection)).set(customer.headers).send({ instance_id: UNKNOWN_ID, capabilities: [] })).body).toEqual({ detail: 'Instance not found' });
      const foreignConnection = await createConnection(t, other);
      const response = await t.http().post(grantsPath(customer, foreignConnection)).set(customer.headers).send({ instance_id: instance.id, capabilities: [] });
      expect([response.status, response.body]).toEqual([404, { detail: 'Connection not found' }]);
    });

    it.each([
      ['instance_id missing', { capabilities: [] }, [['body', 'instance_id'], 'missing']],
      ['instance_id not a uuid', { instance_id: 'abc', capabilities: [] }, [['body', 'instance_id'], 'uuid_parsing']],
      ['capabilities missing', { instance_id: UNKNOWN_ID }, [['body', 'capabilities'], 'missing']],
      ['capabilities not an array', { instance_id: UNKNOWN_ID, capabilities: 'send_mail' }, [['body', 'capabilities'], 'list_type']],
      ['an empty capability', { instance_id: UNKNOWN_ID, capabilities: [''] }, [['body', 'capabilities'], 'string_too_short']],
      ['a capability over 100 chars', { instance_id: UNKNOWN_ID, capabilities: ['c'.repeat(101)] }, [['body', 'capabilities'], 'string_too_long']],
      ['an unknown field', { instance_id: UNKNOWN_ID, capabilities: [], expires: 1 }, [['body', 'expires'], 'extra_forbidden']],
    ])('rejects %s with 422 at the field', async (_case, body, [loc, type]) => {
      const response = await t.http().post(grantsPath(customer, connection)).set(customer.headers).send(body);
      expect(response.status).toBe(422);
      expect(response.body.detail.map((issue: { loc: unknown; type: string }) => [issue.loc, issue.type])).toEqual([[loc, type]]);
    });

    it('answers 401 without credentials and 403 to another customer', async () => {
      expect((await t.http().post(grantsPath(customer, connection)).send({ instance_id: UNKNOWN_ID, capabilities: [] })).status).toBe(401);
      expect((await t.http().post(grantsPath(customer, connection)).set(other.headers).send({ instance_id: UNKNOWN_ID, capabilities: [] })).status).toBe(403);
    });
  });

  describe('DELETE /v1/customers/:customer_id/connections/:connection_id/grants/:grant_id', () => {
    it('deletes a grant (204), then answers 404', async () => {
      const connection = await createConnection(t, customer);
      const instance = await createInstance(t, customer);
      const grant = await t.http().post(grantsPath(customer, connection)).set(customer.headers).send({ instance_id: instance.id, capabilities: [] }).expect(201);
      await t.http().delete(grantsPath(customer, connection, `/${grant.body.id}`)).set(customer.headers).expect(204);
      const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM grants WHERE id = $1', [grant.body.id]);
      expect(count).toBe(0);
      expect((await t.http().delete(grantsPath(customer, connection, `/${grant.body.id}`)).set(customer.headers)).status).toBe(404);
    });

    it('answers 404 for a grant under another connection or of another customer, deleting nothing', async () => {
      const connection = await createConnection(t, customer);
      const elsewhere = await createConnection(t, customer);
      const instance = await createInstance(t, customer);
      const grant = await t.http().post(grantsPath(customer, connection)).set(customer.headers).send({ instance_id: instance.id, capabilities: [] }).expect(201);
      expect((await t.http().delete(grantsPath(customer, elsewhere, `/${grant.body.id}`)).set(customer.headers)).status).toBe(404);
      expect((await t.http().delete(grantsPath(other, connection, `/${grant.body.id}`)).set(other.headers)).status).toBe(404);
      expect((await t.http().delete(grantsPath(other, connection, `/${grant.body.id}`)).set(asAdmin)).status).toBe(404);
      const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM grants WHERE id = $1', [grant.body.id]);
      expect(count).toBe(1);
    });

    it('answers 422 for a malformed grant id', async () => {
      const response = await t.http().delete(grantsPath(customer, { id: UNKNOWN_ID }, '/nope')).set(customer.headers);
      expect(response.status).toBe(422);
      expect(response.body.detail[0].loc).toEqual(['path', 'grant_id']);
    });

    it('removes an instance’s grants when the instance is deleted', async () => {
      const connection = await createConnection(t, customer);
      const instance = await createInstance(t, customer);
      await t.http().post(grantsPath(customer, connection)).set(customer.headers).send({ instance_id: instance.id, capabilities: [] }).expect(201);
      await t.http().delete(`/v1/customers/${customer.id}/instances/${instance.id}`).set(customer.headers).expect(204);
      const got = await t.http().get(`/v1/customers/${customer.id}/connections/${connection.id}`).set(customer.headers).expect(200);
      expect(got.body.grants).toEqual([]);
    });
  });
});
