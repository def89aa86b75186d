import { randomUUID } from 'node:crypto';
import { asAdmin, type TestApp } from './test-app';

export interface TestCustomer {
  id: string;
  name: string;
  /** An API key of the customer, with the header that presents it. */
  apiKey: string;
  headers: Record<string, string>;
}

export interface TestInstance {
  id: string;
  proxyKey: string;
  headers: Record<string, string>;
}

/** A new customer (made by the admin) with one API key. */
export async function createCustomer(t: TestApp, name = `customer ${randomUUID().slice(0, 8)}`): Promise<TestCustomer> {
  const customer = await t.http().post('/v1/customers').set(asAdmin).send({ name }).expect(201);
  const key = await t.http().post(`/v1/customers/${customer.body.id}/api-keys`).set(asAdmin).send({ name: 'tests' }).expect(201);
  return { id: customer.body.id, name, apiKey: key.body.key, headers: { 'X-Api-Key': key.body.key } };
}

export async function createInstance(t: TestApp, customer: TestCustomer, name = 'agent'): Promise<TestInstance> {
  const response = await t.http().post(`/v1/customers/${customer.id}/instances`).set(customer.headers).send({ name }).expect(201);
  return { id: response.body.id, proxyKey: response.body.proxy_key, headers: { Authorization: `Bearer ${response.body.proxy_key}` } };
}

export interface TestConnection {
  id: string;
  provider: string;
  name: string;
}

export async function createConnection(
  t: TestApp,
  customer: TestCustomer,
  body: Record<string, unknown> = {},
): Promise<TestConnection> {
  const response = await t
    .http()
    .post(`/v1/customers/${customer.id}/connections`)
    .set(customer.headers)
    .send({ provider: 'gmail', name: `inbox-${randomUUID().slice(0, 8)}`, credentials: { access_token: `tok-${randomUUID()}` }, ...body })
    .expect(201);
  return { id: response.body.id, provider: response.body.provider, name: response.body.name };
}

export async function grantConnection(
  t: TestApp,
  customer: TestCustomer,
  connection: TestConnection,
  instance: TestInstance,
  capabilities: string[] = [],
): Promise<{ id: string }> {
  const response = await t
    .http()
    .post(`/v1/customers/${customer.id}/connections/${connection.id}/grants`)
    .set(customer.headers)
    .send({ instance_id: instance.id, capabilities })
    .expect(201);
  return { id: response.body.id };
}
