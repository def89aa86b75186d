import { SYSTEM_CALLER } from '../../src/audit/caller';
import { BackgroundRefresher } from '../../src/token-refresh/background-refresher';
import { createCustomer, createInstance, grantConnection, type TestCustomer, type TestInstance } from '../support/factories';
import { asAdmin, TestApp, type AppOptions } from '../support/test-app';
import { ServiceProcess } from '../support/service-process';
import { TokenServer } from '../support/token-server';

/** Loopback token endpoints are private addresses: these tests lift the outbound rule (tested on its own below). */
const ENV = { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', OAUTH_TOKEN_TIMEOUT_MS: '2000' };
/** No background pass unless a test asks for one. */
const QUIET: AppOptions = { refreshSchedule: { backgroundIntervalMs: 3_600_000 } };
const CLIENT_SECRET = 'client-secret-value-that-must-stay-sealed';

describe('OAuth2 token refresh', () => {
  let t: TestApp;
  let tokens: TokenServer;
  let customer: TestCustomer;
  let instance: TestInstance;

  beforeAll(async () => {
    tokens = await TokenServer.start();
    t = await TestApp.start(ENV, undefined, QUIET);
    customer = await createCustomer(t);
    instance = await createInstance(t, customer);
    await t.http().post(`/v1/customers/${customer.id}/oauth-apps`).set(customer.headers).send(appBody('gmail')).expect(201);
  });
  afterAll(async () => {
    if (process.env.SHOW_LOGS) console.log(t.logLines.filter((line) => line.includes('error') || line.includes('unavailable')).join('\n'));
    await t.close();
    await tokens.close();
  });

  function appBody(provider: string, extra: Record<string, unknown> = {}) {
    return { provider, client_id: 'client-id-1', client_secret: CLIENT_SECRET, token_url: tokens.url, ...extra };
  }

  /** A gmail connection granted to `instance`, whose token expires in `expiresIn` seconds (negative: already expired). */
  async function oauthConnection(expiresIn: number, owner = customer, to = instance, provider = 'gmail') {
    const refreshToken = tokens.issueRefreshToken();
    const response = await t
      .http()
      .post(`/v1/customers/${owner.id}/connections`)
      .set(owner.headers)
      .send({
        provider,
        name: `inbox-${Math.random().toString(36).slice(2)}`,
        credentials: { access_token: `old-${Math.random().toString(36).slice(2)}`, refresh_token: refreshToken, expires_at: Math.floor(Date.now() / 1000) + expiresIn },
      })
      .expect(201);
    await grantConnection(t, owner, response.body, to, ['read']);
    return { id: response.body.id as string, name: response.body.name as string, refreshToken, path: `/v1/customers/${owner.id}/connections/${response.body.id}` };
  }

  const fetchPath = (name: string, to = instance) => `/internal/v1/instances/${to.id}/connections?provider=gmail&name=${encodeURIComponent(name)}`;

  beforeEach(() => {
    tokens.mode = 'ok';
    tokens.delayMs = 0;
    tokens.calls.length = 0;
  });

  describe('OAuth apps', () => {
    it('registers an app (201), never shows its secret, keeps it sealed, and refuses a second one for the provider (409)', async () => {
      const other = await createCustomer(t);
      const created = await t.http().post(`/v1/customers/${other.id}/oauth-apps`).set(other.headers).send(appBody('xero', { scopes: ['offline_access'] })).expect(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        customer_id: other.id,
        provider: 'xero',
        client_id: 'client-id-1',
        token_url: tokens.url,
        auth_method: 'client_secret_basic',
        scopes: ['offline_access'],
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      await t.http().post(`/v1/customers/${other.id}/oauth-apps`).set(other.headers).send(appBody('xero')).expect(409);
      const [row] = await t.db.query(`SELECT * FROM oauth_apps WHERE id = $1`, [created.body.id]);
      expect(JSON.stringify(row)).not.toContain(CLIENT_SECRET);
      expect(Buffer.concat([row.secret_ciphertext, row.wrapped_data_key]).includes(CLIENT_SECRET)).toBe(false);

      const list = await t.http().get(`/v1/customers/${other.id}/oauth-apps`).set(other.headers).expect(200);
      expect(list.body).toEqual({ oauth_apps: [created.body], total: 1 });
      const patched = await t.http().patch(`/v1/customers/${other.id}/oauth-apps/${created.body.id}`).set(other.headers).send({ auth_method: 'client_secret_post', client_secret: 'new' }).expect(200);
      expect(patched.body.auth_method).toBe('client_secret_post');
      expect(JSON.stringify(patched.body)).not.toContain('new"');
      // Another customer's app is not found, and its path is forbidden to this customer's key.
      await t.http().get(`/v1/customers/${customer.id}/oauth-apps/${created.body.id}`).set(customer.headers).expect(404);
      await t.http().get(`/v1/customers/${other.id}/oauth-apps/${created.body.id}`).set(customer.headers).expect(403);
      await t.http().delete(`/v1/customers/${other.id}/oauth-apps/${created.body.id}`).set(other.headers).expect(204);
      await t.http().get(`/v1/customers/${other.id}/oauth-apps/${created.body.id}`).set(other.headers).expect(404);
    });

    it('takes a known provider\u2019s token URL when left out, and requires one for an unknown provider (422)', async () => {
      const other = await createCustomer(t);
      const known = await t.http().post(`/v1/customers/${other.id}/oauth-apps`).set(other.headers).send({ provider: 'google_calendar', client_id: 'c', client_secret: 's' }).expect(201);
      expect(known.body.token_url).toBe('https://oauth2.googleapis.com/token');
      const unknown = await t.http().post(`/v1/customers/${other.id}/oauth-apps`).set(other.headers).send({ provider: 'acme', client_id: 'c', client_secret: 's' }).expect(422);
      expect(unknown.body.detail[0].loc).toEqual(['body', 'token_url']);
    });

    it('answers 401 without credentials', async () => {
      await t.http().get(`/v1/customers/${customer.id}/oauth-apps`).expect(401);
    });
  });

  describe('on fetch', () => {
    it('refreshes an expired token before answering, with the app\u2019s client authentication (client_secret_basic)', async () => {
      const connection = await oauthConnection(-10);
      const response = await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(200);
      expect(response.body.credentials.access_token).toMatch(/^at-/);
      expect(response.body.credentials.refresh_token).toMatch(/^rt-/);
      expect(response.body.credentials.refresh_token).not.toBe(connection.refreshToken);
      expect(response.body.status).toBe('active');
      expect(new Date(response.body.expires_at).getTime()).toBeGreaterThan(Date.now() + 3_500_000);
      expect(tokens.calls).toHaveLength(1);
      expect(tokens.calls[0].form.get('grant_type')).toBe('refresh_token');
      expect(tokens.calls[0].form.get('refresh_token')).toBe(connection.refreshToken);
      expect(tokens.calls[0].authorization).toBe(`Basic ${Buffer.from(`client-id-1:${CLIENT_SECRET}`).toString('base64')}`);
      const shown = await t.http().get(connection.path).set(customer.headers).expect(200);
      expect(shown.body.scopes).toEqual(['mail.read', 'mail.send']);
      const types = await eventTypes(connection.id);
      expect(types).toEqual(['connection.created', 'grant.created', 'connection.refreshed']);
      // Audited as the fetching instance's refresh, beside its read.
      expect(await auditRows(connection.id)).toEqual([
        { action: 'connection.refresh', outcome: 'success', status: null, actor_kind: 'instance' },
        { action: 'credentials.read', outcome: 'success', status: 200, actor_kind: 'instance' },
      ]);
    });

    it('never sends a rotated refresh token again', async () => {
      const connection = await oauthConnection(-10);
      const first = await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(200);
      await t.db.query(`UPDATE connections SET expires_at = now() - interval '1 second' WHERE id = $1`, [connection.id]);
      await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(200);
      expect(tokens.calls.map((call) => call.form.get('refresh_token'))).toEqual([connection.refreshToken, first.body.credentials.refresh_token]);
    });

    it('does not refresh a token far from expiry: one statement, no write, no call', async () => {
      const connection = await oauthConnection(3600);
      const response = await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(200);
      expect(response.body.credentials.refresh_token).toBe(connection.refreshToken);
      expect(tokens.calls).toHaveLength(0);
    });

    it('serves 200 with the same new token to 200 concurrent fetches across two replicas, and the provider sees exactly 1 request', async () => {
      const replica = await t.replica(ENV, QUIET);
      try {
        const connection = await oauthConnection(-5);
        tokens.delayMs = 300;
        const responses = await Promise.all(
          Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? t : replica).http().get(fetchPath(connection.name)).set(instance.headers)),
        );
        expect(responses.map((response) => response.status)).toEqual(Array(200).fill(200));
        expect(new Set(responses.map((response) => response.body.credentials.access_token)).size).toBe(1);
        expect(tokens.calls).toHaveLength(1);
      } finally {
        await replica.close();
      }
    });

    it('completes, within 30 s, a refresh whose replica was killed (SIGKILL) while the provider had its request', async () => {
      const connection = await oauthConnection(-5);
      const doomed = await ServiceProcess.start({ ...ENV, DATABASE_URL: t.databaseUrl, OAUTH_REFRESH_AHEAD_SECONDS: '0' });
      try {
        tokens.mode = 'hang';
        // The doomed replica takes the lease and waits on the provider, which never answers it.
        void fetch(`${doomed.url}${fetchPath(connection.name)}`, { headers: instance.headers }).catch(() => undefined);
        for (const deadline = Date.now() + 10_000; tokens.calls.length === 0; ) {
          if (Date.now() > deadline) throw new Error('the doomed replica never called the token endpoint');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const [{ refresh_lease_owner: owner }] = await t.db.query('SELECT refresh_lease_owner FROM connections WHERE id = $1', [connection.id]);
        expect(owner).not.toBeNull();
        await doomed.kill('SIGKILL');
      } finally {
        await doomed.kill('SIGKILL');
      }
      // The provider never answered: the refresh token was not spent, and this replica may send it.
      tokens.mode = 'ok';
      const started = Date.now();
      const response = await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(200);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(response.body.credentials.access_token).toMatch(/^at-/);
      expect(tokens.calls.map((call) => call.form.get('refresh_token'))).toEqual([connection.refreshToken, connection.refreshToken]);
    }, 60_000);
  });

  describe('failures', () => {
    it('serves a still-valid token with status error when the refresh fails for a reason that may pass', async () => {
      const connection = await oauthConnection(30);
      tokens.mode = 'fail500';
      const response = await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(200);
      expect(response.body.status).toBe('error');
      expect(response.body.credentials.refresh_token).toBe(connection.refreshToken);
      const shown = await t.http().get(connection.path).set(customer.headers).expect(200);
      expect(shown.body.status).toBe('error');
      expect(shown.body.error_message).toMatch(/HTTP 500/);
      expect(await eventTypes(connection.id)).toContain('connection.refresh_failed');
    });

    it('answers 503 with Retry-After for an expired token whose refresh failed, and later fetches do not bypass the backoff', async () => {
      const connection = await oauthConnection(-5);
      tokens.mode = 'fail429';
      const first = await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(503);
      expect(Number(first.headers['retry-after'])).toBeGreaterThanOrEqual(20);
      expect(first.body).toEqual({ detail: expect.any(String) });
      expect(JSON.stringify(first.body)).not.toContain(connection.refreshToken);
      tokens.mode = 'ok';
      const again = await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(503);
      expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
      expect(tokens.calls).toHaveLength(1);
      // POST …/refresh skips the connection's backoff wait.
      const refreshed = await t.http().post(`${connection.path}/refresh`).set(customer.headers).expect(200);
      expect(refreshed.body.status).toBe('active');
      expect(refreshed.body.error_message).toBeNull();
      expect(tokens.calls).toHaveLength(2);
      expect(await eventTypes(connection.id)).toEqual(['connection.created', 'grant.created', 'connection.refresh_failed', 'connection.refreshed', 'connection.recovered']);
    });

    it('marks a refused refresh token revoked (409 connection_revoked), and new credentials by PATCH make it active again', async () => {
      const connection = await oauthConnection(-5);
      tokens.mode = 'invalid_grant';
      const refused = await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(409);
      expect(refused.body).toEqual({ detail: expect.any(String), code: 'connection_revoked' });
      const shown = await t.http().get(connection.path).set(customer.headers).expect(200);
      expect(shown.body.status).toBe('revoked');
      expect(shown.body.error_message).toMatch(/invalid_grant/);
      expect(shown.body.error_message).not.toContain(connection.refreshToken);
      tokens.mode = 'ok';
      await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(409);
      expect(tokens.calls).toHaveLength(1);
      const patched = await t.http().patch(connection.path).set(customer.headers).send({ credentials: { access_token: 'fresh', refresh_token: tokens.issueRefreshToken(), expires_in: 3600 } }).expect(200);
      expect(patched.body).toMatchObject({ status: 'active', error_message: null });
      expect((await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(200)).body.credentials.access_token).toBe('fresh');
      expect(await eventTypes(connection.id)).toEqual(['connection.created', 'grant.created', 'connection.revoked', 'connection.updated', 'connection.recovered']);
    });

    it('does not take invalid_grant for a revocation when another replica refreshed the connection meanwhile', async () => {
      const connection = await oauthConnection(-5);
      // The first refresh spends the refresh token; a stale second attempt with the same version must not revoke.
      await t.http().get(fetchPath(connection.name)).set(instance.headers).expect(200);
      await t.db.query(`UPDATE connections SET expires_at = now() - interval '1 second' WHERE id = $1`, [connection.id]);
      const [{ credentials_version: version }] = await t.db.query(`SELECT credentials_version FROM connections WHERE id = $1`, [connection.id]);
      // An engine that read the older version loses the race for the lease and reads the newer one instead.
      const stale = await t.app.get(BackgroundRefresher)['engine'].refresh(connection.id, 'background', SYSTEM_CALLER, version - 1);
      expect(stale?.status).toBe('active');
      expect(tokens.calls).toHaveLength(1);
    });
  });

  describe('POST /v1/customers/:customer_id/connections/:connection_id/refresh', () => {
    it('answers 409 not_refreshable for a connection with no refresh token, or no app', async () => {
      const plain = await t
        .http()
        .post(`/v1/customers/${customer.id}/connections`)
        .set(customer.headers)
        .send({ provider: 'gmail', name: 'no-refresh-token', credentials: { access_token: 'x' } })
        .expect(201);
      const response = await t.http().post(`/v1/customers/${customer.id}/connections/${plain.body.id}/refresh`).set(customer.headers).expect(409);
      expect(response.body).toEqual({ detail: expect.any(String), code: 'not_refreshable' });
      const noApp = await oauthConnection(-5, customer, instance, 'deputy');
      await t.http().post(`${noApp.path}/refresh`).set(customer.headers).expect(409);
    });

    it('answers 404 for another customer\u2019s connection', async () => {
      const connection = await oauthConnection(-5);
      const other = await createCustomer(t);
      await t.http().post(`/v1/customers/${other.id}/connections/${connection.id}/refresh`).set(other.headers).expect(404);
    });
  });

  describe('ahead of expiry, in the background', () => {
    it('refreshes a connection expiring within the look-ahead once across two replicas, with no fetch', async () => {
      const replica = await t.replica(ENV, QUIET);
      try {
        const connection = await oauthConnection(120);
        tokens.delayMs = 200;
        await Promise.all([t.app.get(BackgroundRefresher).tick(), replica.app.get(BackgroundRefresher).tick()]);
        expect(tokens.calls.filter((call) => call.form.get('refresh_token') === connection.refreshToken)).toHaveLength(1);
        const [row] = await t.db.query(`SELECT expires_at FROM connections WHERE id = $1`, [connection.id]);
        expect(row.expires_at.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
        expect(await auditRows(connection.id)).toEqual([{ action: 'connection.refresh', outcome: 'success', status: null, actor_kind: 'system' }]);
      } finally {
        await replica.close();
      }
    });

    it('marks expired a connection past its expiry that nothing can refresh, and the fetch still serves it with status expired', async () => {
      const response = await t
        .http()
        .post(`/v1/customers/${customer.id}/connections`)
        .set(customer.headers)
        .send({ provider: 'gmail', name: 'api-key-expired', auth_type: 'api_key', credentials: { api_key: 'k', expires_in: 0 } })
        .expect(201);
      await grantConnection(t, customer, response.body, instance);
      await t.app.get(BackgroundRefresher).tick();
      const shown = await t.http().get(`/v1/customers/${customer.id}/connections/${response.body.id}`).set(customer.headers).expect(200);
      expect(shown.body.status).toBe('expired');
      expect(await eventTypes(response.body.id)).toContain('connection.expired');
      const fetched = await t.http().get(fetchPath('api-key-expired')).set(instance.headers).expect(200);
      expect(fetched.body).toMatchObject({ status: 'expired', credentials: { api_key: 'k' } });
    });
  });

  describe('the per-app pause', () => {
    it('with 100 due connections and an endpoint failing every call, sends at most 20 requests in the first minute (time scaled 1:100)', async () => {
      const scaled = await TestApp.start(ENV, undefined, {
        refreshSchedule: { backgroundIntervalMs: 20, backoffBaseMs: 300, appPauseBaseMs: 150, waitPollMs: 5 },
      });
      try {
        const owner = await createCustomer(scaled);
        await scaled.http().post(`/v1/customers/${owner.id}/oauth-apps`).set(owner.headers).send(appBody('gmail')).expect(201);
        tokens.mode = 'fail500';
        for (let i = 0; i < 100; i++) {
          await scaled
            .http()
            .post(`/v1/customers/${owner.id}/connections`)
            .set(owner.headers)
            .send({ provider: 'gmail', name: `due-${i}`, credentials: { access_token: 'a', refresh_token: tokens.issueRefreshToken(), expires_in: 3600 } })
            .expect(201);
        }
        // All come due at once.
        await scaled.db.query(`UPDATE connections SET expires_at = now() + interval '30 seconds' WHERE customer_id = $1`, [owner.id]);
        tokens.calls.length = 0;
        // The background refresher runs every 20 ms; a minute is 600 ms at this scale.
        await new Promise((resolve) => setTimeout(resolve, 600));
        if (process.env.SHOW_LOGS) console.log(`token calls in the scaled first minute: ${tokens.calls.length}`);
        expect(tokens.calls.length).toBeGreaterThanOrEqual(5);
        expect(tokens.calls.length).toBeLessThanOrEqual(20);
      } finally {
        await scaled.close();
      }
    });
  });

  describe('outbound URLs, with the rule in force', () => {
    let strict: TestApp;
    let owner: TestCustomer;
    beforeAll(async () => {
      strict = await TestApp.start({ OAUTH_TOKEN_TIMEOUT_MS: '2000' }, undefined, QUIET);
      owner = await createCustomer(strict);
    });
    afterAll(() => strict.close());

    it.each([
      ['http, not https', 'http://oauth.example.com/token'],
      ['loopback', 'https://127.0.0.1/token'],
      ['a private network', 'https://10.1.2.3/token'],
      ['link-local (cloud metadata)', 'https://169.254.169.254/latest'],
      ['a name that resolves to loopback', 'https://localhost/token'],
      ['IPv6 loopback', 'https://[::1]/token'],
    ])('refuses a token_url at %s with 422 at body.token_url', async (_case, url) => {
      const response = await strict.http().post(`/v1/customers/${owner.id}/oauth-apps`).set(owner.headers).send({ provider: 'acme', client_id: 'c', client_secret: 's', token_url: url }).expect(422);
      expect(response.body.detail[0].loc).toEqual(['body', 'token_url']);
    });

    it('checks the rule again when it calls: a stored URL that now resolves to loopback is a failed attempt, not a call', async () => {
      await strict.http().post(`/v1/customers/${owner.id}/oauth-apps`).set(owner.headers).send({ provider: 'gmail', client_id: 'c', client_secret: 's' }).expect(201);
      await strict.db.query(`UPDATE oauth_apps SET token_url = $1 WHERE customer_id = $2`, [tokens.url.replace('http://127.0.0.1', 'https://localhost'), owner.id]);
      const created = await strict
        .http()
        .post(`/v1/customers/${owner.id}/connections`)
        .set(owner.headers)
        .send({ provider: 'gmail', name: 'x', credentials: { access_token: 'a', refresh_token: 'r', expires_in: 0 } })
        .expect(201);
      const response = await strict.http().post(`/v1/customers/${owner.id}/connections/${created.body.id}/refresh`).set(owner.headers).expect(200);
      expect(response.body.status).toBe('error');
      expect(response.body.error_message).toMatch(/non-public|loopback/);
      expect(tokens.calls).toHaveLength(0);
    });
  });

  it('counts token requests by outcome and reason in /metrics, with no id in any label', async () => {
    const scrape = await t.http().get('/metrics').set(asAdmin).expect(200);
    expect(scrape.text).toMatch(/hydracore_token_refreshes_total\{outcome="refreshed",reason="fetch"\} [1-9]/);
    expect(scrape.text).toMatch(/hydracore_token_refreshes_total\{outcome="failed",reason="fetch"\} [1-9]/);
    expect(scrape.text).toMatch(/hydracore_token_refresh_duration_seconds_count\{outcome="refused"\} [1-9]/);
    expect(scrape.text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  });

  it('keeps every token and the client secret out of every column, log line and /v1 response', async () => {
    const columns = await t.db.query(
      `SELECT string_agg(x::text, ' ') AS dump FROM (
         SELECT row_to_json(c)::text AS x FROM connections c UNION ALL SELECT row_to_json(a)::text FROM oauth_apps a
         UNION ALL SELECT row_to_json(e)::text FROM connection_events e) rows`,
    );
    const list = await t.http().get(`/v1/customers/${customer.id}/connections?limit=1000`).set(customer.headers).expect(200);
    const places = [columns[0].dump as string, t.logLines.join('\n'), list.text];
    for (const secret of [CLIENT_SECRET, ...tokens.handedOut]) {
      for (const place of places) expect(place.includes(secret)).toBe(false);
    }
    expect(tokens.handedOut.length).toBeGreaterThan(10);
  });

  async function auditRows(connectionId: string): Promise<{ action: string; outcome: string; status: number | null; actor_kind: string }[]> {
    return t.db.query(
      `SELECT action, outcome, status, actor_kind FROM audit_events WHERE connection_id = $1 AND action IN ('connection.refresh', 'credentials.read') ORDER BY seq`,
      [connectionId],
    );
  }

  async function eventTypes(connectionId: string): Promise<string[]> {
    const rows: { type: string }[] = await t.db.query(`SELECT type FROM connection_events WHERE connection_id = $1 ORDER BY seq`, [connectionId]);
    return rows.map((row) => row.type);
  }
});
