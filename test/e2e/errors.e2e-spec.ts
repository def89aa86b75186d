import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { bearer, expectErrorDetail, expectValidationError, requestLogLines, signJwt, UUID_SHAPE } from '../support/expectations';
import { createCustomer, createInstance, type TestCustomer, type TestInstance } from '../support/factories';
import { asAdmin, TEST_ADMIN_KEY, TestApp } from '../support/test-app';

/** The HTTP conventions every route shares: error shapes, request ids, body limits, request logs. */
describe('HTTP conventions', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let instance: TestInstance;
  let customerJwt: string;
  let adminJwt: string;

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
    instance = await createInstance(t, customer);
    customerJwt = await signJwt({ customer_id: customer.id });
    adminJwt = await signJwt({ roles: ['admin'] });
  });
  afterAll(() => t.close());

  /** Every error body: JSON, `detail` a string or a list of issues, and the request id header. */
  function expectErrorShape(response: Response): void {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
    expect(Object.keys(response.body)).toContain('detail');
    if (typeof response.body.detail !== 'string') {
      expect(response.body.detail).toEqual(expect.arrayContaining([{ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) }]));
    }
    expect(response.text).not.toMatch(/statusCode|FST_ERR|"message"|\bat \S+ \(/);
  }

  describe('unknown routes', () => {
    it('answer 404 {"detail":"Not Found"} without credentials', async () => {
      expectErrorDetail(await t.http().get('/v2/anything'), 404, 'Not Found');
      expectErrorDetail(await t.http().get('/'), 404, 'Not Found');
    });

    it('answer 404 with valid credentials of any kind, and with bad ones', async () => {
      expectErrorDetail(await t.http().get('/v2/anything').set(asAdmin), 404, 'Not Found');
      expectErrorDetail(await t.http().get('/v2/anything').set(customer.headers), 404, 'Not Found');
      expectErrorDetail(await t.http().get('/v2/anything').set(instance.headers), 404, 'Not Found');
      expectErrorDetail(await t.http().get('/v2/anything').set('X-Api-Key', 'wrong'), 404, 'Not Found');
    });

    it('answer 404 for an unknown sub-resource and an unknown method on a known path', async () => {
      expectErrorDetail(await t.http().get(`/v1/customers/${customer.id}/unknown`).set(customer.headers), 404, 'Not Found');
      expectErrorDetail(await t.http().put('/v1/customers').set(asAdmin).send({ name: 'x' }), 404, 'Not Found');
      expectErrorDetail(await t.http().patch(`/v1/customers/${customer.id}`).set(asAdmin).send({ name: 'x' }), 404, 'Not Found');
    });

    it('never quote the path back', async () => {
      const response = await t.http().get('/v2/%3Cscript%3Emarker-5521%3C/script%3E');
      expectErrorDetail(response, 404, 'Not Found');
      expect(response.text).not.toContain('marker-5521');
    });
  });

  describe('X-Request-Id', () => {
    it('echoes the caller\u2019s request id', async () => {
      const response = await t.http().get('/health/live').set('X-Request-Id', 'caller-id_42.a:b');
      expect(response.headers['x-request-id']).toBe('caller-id_42.a:b');
    });

    it('generates a fresh UUID when the caller sends none', async () => {
      const first = await t.http().get('/health/live');
      const second = await t.http().get('/health/live');
      expect(first.headers['x-request-id']).toMatch(UUID_SHAPE);
      expect(second.headers['x-request-id']).toMatch(UUID_SHAPE);
      expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
    });

    it('replaces an id that is not a sane token (spaces, over 128 chars) with a generated one', async () => {
      const spaced = await t.http().get('/health/live').set('X-Request-Id', 'has spaces in it');
      expect(spaced.headers['x-request-id']).toMatch(UUID_SHAPE);
      const long = await t.http().get('/health/live').set('X-Request-Id', 'a'.repeat(129));
      expect(long.headers['x-request-id']).toMatch(UUID_SHAPE);
    });

    it('is on error responses too (401, 403, 404, 422), echoed when sent', async () => {
      const responses = [
        await t.http().get('/v1/customers').set('X-Request-Id', 'err-401'),
        await t.http().get('/v1/customers').set(customer.headers).set('X-Request-Id', 'err-403'),
        await t.http().get('/nope').set('X-Request-Id', 'err-404'),
        await t.http().get('/v1/customers?limit=0').set(asAdmin).set('X-Request-Id', 'err-422'),
      ];
      expect(responses.map((response) => [response.status, response.headers['x-request-id']])).toEqual([
        [401, 'err-401'],
        [403, 'err-403'],
        [404, 'err-404'],
        [422, 'err-422'],
      ]);
    });
  });

  describe('request bodies', () => {
    it('answers a body over 1 MiB with 413 {detail}, and stores nothing', async () => {
      const name = `big-${randomUUID()}`;
      const response = await t.http().post('/v1/customers').set(asAdmin).send({ name, padding: 'x'.repeat(1024 * 1024) });
      expectErrorDetail(response, 413);
      expect(await t.db.query('SELECT id FROM customers WHERE name = $1', [name])).toEqual([]);
    });

    it('accepts a body just under 1 MiB (then validates it)', async () => {
      const response = await t.http().post('/v1/customers').set(asAdmin).send({ name: 'x', padding: 'x'.repeat(1024 * 1024 - 100) });
      expectValidationError(response, [['body', 'padding'], 'extra_forbidden']);
    });

    it('answers text/plain with 415 {detail}, and stores nothing', async () => {
      const response = await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'text/plain').send('{"name":"plain-text-co"}');
      expectErrorDetail(response, 415);
      expect(await t.db.query("SELECT id FROM customers WHERE name = 'plain-text-co'")).toEqual([]);
    });

    it('answers form bodies and XML with 415 {detail}: JSON only', async () => {
      expectErrorDetail(await t.http().post('/v1/customers').set(asAdmin).type('form').send('name=form-co'), 415);
      expectErrorDetail(await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/xml').send('<name>x</name>'), 415);
      expect(await t.db.query("SELECT id FROM customers WHERE name = 'form-co'")).toEqual([]);
    });

    it('accepts application/json with a charset', async () => {
      await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/json; charset=utf-8').send('{"name":"charset-co"}').expect(201);
    });
  });

  describe('errors made before a route runs', () => {
    it('answers a bad percent-escape in the path with a 4xx {detail}, without quoting the path', async () => {
      for (const path of ['/v1/customers/%E0%A4%A', `/v1/customers/${customer.id}/api-keys/%ZZ`]) {
        const response = await t.http().get(path).set(asAdmin);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expectErrorShape(response);
        expect(typeof response.body.detail).toBe('string');
        expect(response.text).not.toContain('%E0');
      }
    });

    it('answers a very long path parameter with a 4xx {detail}, without quoting it', async () => {
      const response = await t.http().get(`/v1/customers/${'a'.repeat(5000)}`).set(asAdmin);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expectErrorShape(response);
      expect(response.text).not.toContain('aaaaaaaaaa');
    });

    it('answers a long but not too long malformed id with 422 at path.customer_id', async () => {
      expectValidationError(await t.http().get(`/v1/customers/${'a'.repeat(300)}`).set(asAdmin), [['path', 'customer_id'], 'uuid_parsing']);
    });
  });

  describe('every error body', () => {
    it('is JSON with detail, for every kind of failure', async () => {
      const responses = [
        await t.http().get('/v1/customers'),
        await t.http().get('/v1/customers').set('X-Api-Key', 'bad'),
        await t.http().get('/v1/customers').set(customer.headers),
        await t.http().get(`/v1/customers/${randomUUID()}`).set(asAdmin),
        await t.http().get('/v1/customers/x').set(asAdmin),
        await t.http().get('/v1/customers?limit=x').set(asAdmin),
        await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/json').send('{'),
        await t.http().post('/v1/customers').set(asAdmin).send({}),
        await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'text/plain').send('x'),
        await t.http().post('/v1/customers').set(asAdmin).send({ name: 'x'.repeat(1024 * 1024 + 1) }),
        await t.http().get('/v1/customers/%C0').set(asAdmin),
        await t.http().get(`/v1/customers/${'b'.repeat(2000)}`).set(asAdmin),
        await t.http().delete('/nope'),
      ];
      expect(responses.map((response) => response.status)).toEqual([401, 401, 403, 404, 422, 422, 422, 422, 415, 413, 400, 414, 404]);
      for (const response of responses) expectErrorShape(response);
    });
  });

  describe('a 500', () => {
    it('carries a generic detail and an error id, never SQL, a stack or the request\u2019s values; the log has both ids', async () => {
      const marker = `marker-${randomUUID()}`;
      await t.db.query('ALTER TABLE customers RENAME TO customers_away');
      let response: Response;
      try {
        response = await t.http().post('/v1/customers').set(asAdmin).set('X-Request-Id', 'req-500').send({ name: marker });
      } finally {
        await t.db.query('ALTER TABLE customers_away RENAME TO customers');
      }
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ detail: 'Internal server error', error_id: expect.stringMatching(UUID_SHAPE) });
      expect(response.headers['x-request-id']).toBe('req-500');
      expect(response.text).not.toMatch(/customers|relation|INSERT|SELECT|\bat /i);
      expect(response.text).not.toContain(marker);

      const errorLines = t.logLines.map((line) => JSON.parse(line)).filter((line) => line.error_id === response.body.error_id);
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toMatchObject({ level: 'error', req_id: 'req-500' });
      expect(JSON.stringify(errorLines[0])).not.toContain(marker);
    });
  });

  describe('request logs', () => {
    it('write one JSON line per request with method, route pattern, status, duration_ms, req_id and the principal', async () => {
      const requestId = `log-${randomUUID()}`;
      await t.http().get(`/v1/customers/${customer.id}`).set(customer.headers).set('X-Request-Id', requestId).expect(200);
      const lines = await requestLogLines(t, requestId);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 'info',
        req_id: requestId,
        method: 'GET',
        route: '/v1/customers/:customer_id',
        status: 200,
        duration_ms: expect.any(Number),
        auth: 'api_key',
        principal: 'customer',
        customer_id: customer.id,
      });
      expect(lines[0].duration_ms as number).toBeGreaterThanOrEqual(0);
    });

    it('write one line for failed requests too: 401, 404, 422, 413 and a bad URL', async () => {
      const cases: [string, () => Promise<Response>, number][] = [
        ['log-401', () => t.http().get('/v1/customers').set('X-Request-Id', 'log-401'), 401],
        ['log-404', () => t.http().get('/nowhere').set('X-Request-Id', 'log-404'), 404],
        ['log-422', () => t.http().post('/v1/customers').set(asAdmin).set('X-Request-Id', 'log-422').send({}), 422],
        ['log-413', () => t.http().post('/v1/customers').set(asAdmin).set('X-Request-Id', 'log-413').send({ name: 'x'.repeat(1024 * 1024) }), 413],
        ['log-400', () => t.http().get('/v1/customers/%E0%A4%A').set(asAdmin).set('X-Request-Id', 'log-400'), 400],
      ];
      for (const [requestId, send, status] of cases) {
        expect((await send()).status).toBe(status);
        const lines = await requestLogLines(t, requestId);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({ req_id: requestId, status, method: expect.any(String), duration_ms: expect.any(Number) });
      }
    });

    it('log the route pattern, never the path or query a key may be pasted into', async () => {
      await t.http().get(`/v1/customers/${customer.id}?api_key=${customer.apiKey}`).set('X-Request-Id', 'log-query').set(asAdmin).expect(200);
      const [line] = await requestLogLines(t, 'log-query');
      expect(line.route).toBe('/v1/customers/:customer_id');
      // The admin called: nothing in the line names this customer, so neither path nor query was copied.
      expect(JSON.stringify(line)).not.toContain(customer.id);
      expect(JSON.stringify(line)).not.toContain(customer.apiKey);
    });

    it('never hold the admin key, an API key, a proxy key or a JWT used against the service', async () => {
      // Put every secret where a careless logger would pick it up: headers, paths, queries and bodies.
      const secrets = [TEST_ADMIN_KEY, customer.apiKey, instance.proxyKey, customerJwt, adminJwt];
      for (const secret of secrets) {
        await t.http().get(`/v1/customers/${customer.id}`).set('X-Api-Key', secret);
        await t.http().get(`/v1/customers/${customer.id}`).set(bearer(secret));
        await t.http().get(`/nowhere/${secret}?key=${secret}`).set(bearer(secret));
        await t.http().post('/v1/customers').set(asAdmin).send({ name: 'x', key: secret });
        await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/json').send(`{"name": "${secret}`);
        await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'text/plain').send(secret);
      }
      await t.http().get(`/v1/customers/${customer.id}`).set(bearer(customerJwt)).expect(200);
      await t.http().get('/v1/customers').set(bearer(adminJwt)).expect(200);
      await new Promise((resolve) => setTimeout(resolve, 50));

      expect(t.logLines.length).toBeGreaterThan(30);
      const log = t.logLines.join('');
      for (const secret of secrets) expect(log).not.toContain(secret);
      // The secret part alone neither (JWT signatures included).
      for (const secret of secrets) expect(log).not.toContain(secret.slice(-20));
    });
  });
});
