import { asAdmin, TestApp } from '../support/test-app';

describe('Customers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  it('creates a customer as admin', async () => {
    const response = await t.http().post('/v1/customers').set(asAdmin).send({ name: 'Acme' }).expect(201);
    expect(response.body).toEqual({ id: expect.any(String), name: 'Acme', created_at: expect.stringMatching(/\.\d{3}Z$/) });
    expect(response.headers['x-request-id']).toBeDefined();
  });
});
