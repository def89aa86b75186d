import {
  appPauseMs,
  mergeRefreshedCredentials,
  readTokenResponse,
  refreshBackoffMs,
  refreshTokenRequest,
} from '../../src/token-refresh/token-request';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('refreshTokenRequest (RFC 6749 §6, client authentication §2.3.1)', () => {
  it('sends the client in a Basic header, each part form-encoded, by default', () => {
    const request = refreshTokenRequest({ clientId: 'id:1', clientSecret: 's&p ä', authMethod: 'client_secret_basic' }, 'rt');
    expect(new URLSearchParams(request.body).get('grant_type')).toBe('refresh_token');
    expect(new URLSearchParams(request.body).get('refresh_token')).toBe('rt');
    expect(new URLSearchParams(request.body).has('client_secret')).toBe(false);
    expect(Buffer.from(request.headers.authorization.slice(6), 'base64').toString()).toBe('id%3A1:s%26p+%C3%A4');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('sends the client in the form with client_secret_post', () => {
    const request = refreshTokenRequest({ clientId: 'id', clientSecret: 'secret', authMethod: 'client_secret_post' }, 'rt');
    const form = new URLSearchParams(request.body);
    expect([form.get('client_id'), form.get('client_secret')]).toEqual(['id', 'secret']);
    expect(request.headers.authorization).toBeUndefined();
  });
});

describe('readTokenResponse', () => {
  it('takes a 2xx with an access_token as refreshed', () => {
    expect(readTokenResponse(200, json({ access_token: 'a', expires_in: 10 }))).toEqual({ kind: 'refreshed', token: { access_token: 'a', expires_in: 10 } });
  });

  it('takes 400 invalid_grant as a refusal, quoting the provider\u2019s words but no token', () => {
    const outcome = readTokenResponse(400, json({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.', refresh_token: 'leak' }));
    expect(outcome).toEqual({ kind: 'refused', message: 'The token endpoint answered HTTP 400 (invalid_grant: Token has been expired or revoked.)' });
  });

  it.each([
    [500, json({ error: 'server_error' })],
    [429, Buffer.from('slow down')],
    [401, json({ error: 'invalid_client' })],
    [200, Buffer.from('<html>')],
    [200, json({ token_type: 'Bearer' })],
  ])('takes HTTP %i as a failure that may pass', (status, body) => {
    expect(readTokenResponse(status, body).kind).toBe('failed');
  });
});

describe('mergeRefreshedCredentials', () => {
  const now = new Date('2026-12-06T12:00:00.000Z');

  it('merges the answer over the stored credentials, replaces the refresh token and recomputes expires_at', () => {
    expect(mergeRefreshedCredentials({ access_token: 'old', refresh_token: 'r1', tenant: 'x', expires_at: 1 }, { access_token: 'new', refresh_token: 'r2', expires_in: 60 }, now)).toEqual({
      access_token: 'new',
      refresh_token: 'r2',
      tenant: 'x',
      expires_in: 60,
      expires_at: '2026-12-06T12:01:00.000Z',
    });
  });

  it('keeps the refresh token when the answer brings none, and drops an expiry the answer does not give', () => {
    expect(mergeRefreshedCredentials({ access_token: 'old', refresh_token: 'r1', expires_at: 1 }, { access_token: 'new' }, now)).toEqual({ access_token: 'new', refresh_token: 'r1' });
  });
});

describe('backoff', () => {
  it('grows from the base, doubling, to the maximum, within ±20% jitter', () => {
    expect(refreshBackoffMs(1, 30_000, 3_600_000, () => 0.5)).toBe(30_000);
    expect(refreshBackoffMs(2, 30_000, 3_600_000, () => 0.5)).toBe(60_000);
    expect(refreshBackoffMs(20, 30_000, 3_600_000, () => 0.5)).toBe(3_600_000);
    expect(refreshBackoffMs(1, 30_000, 3_600_000, () => 0)).toBe(24_000);
    expect(refreshBackoffMs(1, 30_000, 3_600_000, () => 1)).toBe(36_000);
  });

  it('pauses an app from its fifth failure in a row, doubling', () => {
    expect([5, 6, 7, 30].map((failures) => appPauseMs(failures, 15_000, 300_000))).toEqual([15_000, 30_000, 60_000, 300_000]);
  });
});
