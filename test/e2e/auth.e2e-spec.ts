import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { bearer, expectErrorDetail, expectUnauthorized, signJwt, unsignedJwt } from '../support/expectations';
import { createCustomer, type TestCustomer } from '../support/factories';
import { asAdmin, TEST_ADMIN_KEY, TEST_JWT_SECRET, TestApp } from '../support/test-app';

/**
 * How credentials are presented and checked on /v1, on one customer route (GET /v1/customers/:customer_id)
 * and one admin route (GET /v1/customers). The routers' own files test each route's 401/403.
 */
const adminRoute = '/v1/customers';
const now = () => Math.floor(Date.now() / 1000);

// Each describe below starts its own app when it begins and closes it when it ends: never two at once.
describe('Authentication on /v1', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let other: TestCustomer;

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
    other = await createCustomer(t);
  });
  afterAll(() => t.close());

  const customerRoute = () => `/v1/customers/${customer.id}`;

  describe('API keys', () => {
    it('answers no credentials with 401 "Not authenticated" and WWW-Authenticate: Bearer', async () => {
      const response = await t.http().get(customerRoute());
      expectUnauthorized(response);
      expect(response.body.detail).toBe('Not authenticated');
    });

    it('refuses an empty X-Api-Key, a non-Bearer Authorization and a Bearer without token with 401', async () => {
      expectUnauthorized(await t.http().get(customerRoute()).set('X-Api-Key', ''));
      expectUnauthorized(await t.http().get(customerRoute()).set('Authorization', `Basic ${Buffer.from(`u:${customer.apiKey}`).toString('base64')}`));
      expectUnauthorized(await t.http().get(customerRoute()).set('Authorization', 'Bearer'));
      expectUnauthorized(await t.http().get(customerRoute()).set('Authorization', `Token ${customer.apiKey}`));
    });

    it('refuses a key with the right prefix but a changed character with 401', async () => {
      const last = customer.apiKey.at(-1) === 'A' ? 'B' : 'A';
      expectUnauthorized(await t.http().get(customerRoute()).set('X-Api-Key', customer.apiKey.slice(0, -1) + last));
      expectUnauthorized(await t.http().get(customerRoute()).set('X-Api-Key', customer.apiKey + 'x'));
      expectUnauthorized(await t.http().get(customerRoute()).set('X-Api-Key', customer.apiKey.slice(0, 12)));
    });

    it('uses X-Api-Key when present, whatever Authorization says', async () => {
      await t.http().get(customerRoute()).set('X-Api-Key', customer.apiKey).set(bearer('garbage')).expect(200);
      expectUnauthorized(await t.http().get(customerRoute()).set('X-Api-Key', 'garbage').set(bearer(customer.apiKey)));
      expectUnauthorized(await t.http().get(adminRoute).set('X-Api-Key', 'garbage').set(bearer(TEST_ADMIN_KEY)));
    });

    it('accepts the admin key in either header, and refuses a prefix or an extension of it', async () => {
      await t.http().get(adminRoute).set(asAdmin).expect(200);
      await t.http().get(adminRoute).set(bearer(TEST_ADMIN_KEY)).expect(200);
      expectUnauthorized(await t.http().get(adminRoute).set('X-Api-Key', TEST_ADMIN_KEY.slice(0, -1)));
      expectUnauthorized(await t.http().get(adminRoute).set('X-Api-Key', `${TEST_ADMIN_KEY}0`));
    });
  });

  describe('JWT bearer tokens (HS256 with JWT_SECRET)', () => {
    it('makes the customer named by customer_id: its own path 200, another\u2019s 403, an admin route 403', async () => {
      const token = await signJwt({ sub: 'user-1', customer_id: customer.id });
      await t.http().get(customerRoute()).set(bearer(token)).expect(200);
      expectErrorDetail(await t.http().get(`/v1/customers/${other.id}`).set(bearer(token)), 403);
      expectErrorDetail(await t.http().get(adminRoute).set(bearer(token)), 403);
    });

    it('makes an admin of roles ["admin"]', async () => {
      const token = await signJwt({ sub: 'ops', roles: ['admin'] });
      await t.http().get(adminRoute).set(bearer(token)).expect(200);
      await t.http().get(customerRoute()).set(bearer(token)).expect(200);
    });

    it('does not make an admin of other roles', async () => {
      const token = await signJwt({ customer_id: customer.id, roles: ['administrator', 'user'] });
      expectErrorDetail(await t.http().get(adminRoute).set(bearer(token)), 403);
    });

    it('refuses a token naming neither a customer nor the admin role with 401', async () => {
      expectUnauthorized(await t.http().get(customerRoute()).set(bearer(await signJwt({ sub: 'nobody' }))));
      expectUnauthorized(await t.http().get(customerRoute()).set(bearer(await signJwt({ customer_id: 'not-a-uuid' }))));
    });

    it('refuses a token without exp with 401', async () => {
      const token = await signJwt({ customer_id: customer.id }, { expiresAt: null });
      expectUnauthorized(await t.http().get(customerRoute()).set(bearer(token)));
    });

    it('refuses an expired token with 401', async () => {
      const token = await signJwt({ customer_id: customer.id }, { expiresAt: now() - 60 });
      expectUnauthorized(await t.http().get(customerRoute()).set(bearer(token)));
      const admin = await signJwt({ roles: ['admin'] }, { expiresAt: now() - 60 });
      expectUnauthorized(await t.http().get(adminRoute).set(bearer(admin)));
    });

    it('refuses a token signed with another secret with 401', async () => {
      const token = await signJwt({ roles: ['admin'] }, { secret: `${TEST_JWT_SECRET}-but-not-quite` });
      expectUnauthorized(await t.http().get(adminRoute).set(bearer(token)));
    });

    it('refuses a token whose payload was changed after signing with 401', async () => {
      const [header, , signature] = (await signJwt({ customer_id: other.id })).split('.');
      const payload = Buffer.from(JSON.stringify({ customer_id: customer.id, exp: now() + 300 })).toString('base64url');
      expectUnauthorized(await t.http().get(customerRoute()).set(bearer(`${header}.${payload}.${signature}`)));
    });

    it('refuses alg "none" with 401', async () => {
      const forged = unsignedJwt({ roles: ['admin'], customer_id: customer.id, exp: now() + 300 });
      expect(forged.startsWith('eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.')).toBe(true);
      expectUnauthorized(await t.http().get(adminRoute).set(bearer(forged)));
      expectUnauthorized(await t.http().get(customerRoute()).set(bearer(forged)));
      // The bare header of the brief, byte for byte.
      const bare = `eyJhbGciOiJub25lIn0.${forged.split('.')[1]}.`;
      expectUnauthorized(await t.http().get(adminRoute).set(bearer(bare)));
    });

    it('refuses HS512 with the same secret with 401: only HS256 is configured', async () => {
      const token = await signJwt({ roles: ['admin'] }, { algorithm: 'HS512' });
      expectUnauthorized(await t.http().get(adminRoute).set(bearer(token)));
    });

    it('refuses a valid JWT sent in X-Api-Key with 401', async () => {
      const token = await signJwt({ customer_id: customer.id });
      expectUnauthorized(await t.http().get(customerRoute()).set('X-Api-Key', token));
      const admin = await signJwt({ roles: ['admin'] });
      expectUnauthorized(await t.http().get(adminRoute).set('X-Api-Key', admin));
    });

    it('refuses a JWT-shaped string that is not a JWT with 401', async () => {
      expectUnauthorized(await t.http().get(customerRoute()).set(bearer('abc.def.ghi')));
    });
  });
});

describe('Authentication on /v1 with JWT_ISSUER and JWT_AUDIENCE set', () => {
  const issuer = 'https://issuer.example.test/';
  const audience = 'hydracore-connections';
  let strict: TestApp;
  let customerId: string;

  beforeAll(async () => {
    strict = await TestApp.start({ JWT_ISSUER: issuer, JWT_AUDIENCE: audience });
    customerId = (await createCustomer(strict)).id;
  });
  afterAll(() => strict.close());

  it('accepts a token with the configured iss and aud', async () => {
    const token = await signJwt({ customer_id: customerId }, { issuer, audience });
    await strict.http().get(`/v1/customers/${customerId}`).set(bearer(token)).expect(200);
  });

  it('refuses a token without iss, or with another iss, with 401', async () => {
    expectUnauthorized(await strict.http().get(`/v1/customers/${customerId}`).set(bearer(await signJwt({ customer_id: customerId }, { audience }))));
    const wrong = await signJwt({ customer_id: customerId }, { issuer: 'https://evil.example.test/', audience });
    expectUnauthorized(await strict.http().get(`/v1/customers/${customerId}`).set(bearer(wrong)));
  });

  it('refuses a token without aud, or with another aud, with 401', async () => {
    expectUnauthorized(await strict.http().get(`/v1/customers/${customerId}`).set(bearer(await signJwt({ customer_id: customerId }, { issuer }))));
    const wrong = await signJwt({ customer_id: customerId }, { issuer, audience: 'another-service' });
    expectUnauthorized(await strict.http().get(`/v1/customers/${customerId}`).set(bearer(wrong)));
  });
});

describe('Authentication on /v1 without JWT_SECRET', () => {
  let noJwt: TestApp;
  beforeAll(async () => {
    noJwt = await TestApp.start({ JWT_SECRET: '' });
  });
  afterAll(() => noJwt.close());

  it('refuses every JWT with 401 and still takes the admin key', async () => {
    expectUnauthorized(await noJwt.http().get(adminRoute).set(bearer(await signJwt({ roles: ['admin'] }))));
    await noJwt.http().get(adminRoute).set(asAdmin).expect(200);
  });
});

describe('Authentication on /v1 with JWT_JWKS_URL set', () => {
  let withJwks: TestApp;
  let jwksServer: Server;
  let privateKey: SigningKey;
  let strangerKey: SigningKey;
  let customerId: string;

  const sign = (key: SigningKey, claims: JWTPayload, kid = 'k1') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setExpirationTime('5m').sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    // The issuer's JWKS, served on loopback as an identity provider would.
    jwksServer = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    withJwks = await TestApp.start({ JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json` });
    customerId = (await createCustomer(withJwks)).id;
  });
  afterAll(async () => {
    await withJwks.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it('accepts an RS256 token signed by a key of the JWKS, for a customer and for the admin', async () => {
    await withJwks.http().get(`/v1/customers/${customerId}`).set(bearer(await sign(privateKey, { customer_id: customerId }))).expect(200);
    await withJwks.http().get(adminRoute).set(bearer(await sign(privateKey, { roles: ['admin'] }))).expect(200);
  });

  it('refuses a token signed by a key outside the JWKS, or naming an unknown key id, with 401', async () => {
    expectUnauthorized(await withJwks.http().get(`/v1/customers/${customerId}`).set(bearer(await sign(strangerKey, { customer_id: customerId }))));
    expectUnauthorized(await withJwks.http().get(`/v1/customers/${customerId}`).set(bearer(await sign(privateKey, { customer_id: customerId }, 'k9'))));
  });

  it('still takes HS256 tokens under JWT_SECRET beside it', async () => {
    await withJwks.http().get(`/v1/customers/${customerId}`).set(bearer(await signJwt({ customer_id: customerId }))).expect(200);
  });
});
