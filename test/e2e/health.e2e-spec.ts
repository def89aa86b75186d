import { expectErrorDetail } from '../support/expectations';
import { TestApp } from '../support/test-app';

describe('Health and documentation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  describe('GET /health/live', () => {
    it('answers 200 {"status":"ok"} without credentials', async () => {
      const response = await t.http().get('/health/live').expect(200);
      expect(response.body).toEqual({ status: 'ok' });
      expect(response.headers['x-request-id']).toEqual(expect.any(String));
    });
  });

  describe('GET /health/ready', () => {
    it('answers 200 {"status":"ok"} without credentials when the database is reachable and migrated', async () => {
      expect((await t.http().get('/health/ready').expect(200)).body).toEqual({ status: 'ok' });
    });

    it('answers 503 {detail} while a migration is pending, and 200 again once it is applied', async () => {
      const [applied] = await t.db.query('SELECT id, timestamp, name FROM migrations ORDER BY id DESC LIMIT 1');
      await t.db.query('DELETE FROM migrations WHERE id = $1', [applied.id]);
      try {
        expectErrorDetail(await t.http().get('/health/ready'), 503, 'Migrations are pending');
      } finally {
        await t.db.query('INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)', [applied.id, applied.timestamp, applied.name]);
      }
      await t.http().get('/health/ready').expect(200);
    });
  });

  describe('GET /docs', () => {
    it('serves the Swagger UI as HTML without credentials', async () => {
      const response = await t.http().get('/docs').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toContain('swagger-ui');
    });
  });

  describe('GET /openapi.json', () => {
    it('serves the OpenAPI 3 document as JSON without credentials', async () => {
      const response = await t.http().get('/openapi.json').expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body.openapi).toMatch(/^3\./);
      expect(response.body.info.title).toBe('HydraCore Connections');
      expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining(['/v1/customers', '/health/ready']));
    });
  });
});
