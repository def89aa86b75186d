import { afterFailedRefresh, decideFetch } from '../../src/internal-credentials/fetch-decision';
import type { GrantedConnectionRow } from '../../src/internal-credentials/fetch-lookup';

const NOW = new Date('2026-12-06T12:00:00.000Z');
const SKEW = 60_000;

function row(overrides: Partial<GrantedConnectionRow> = {}): GrantedConnectionRow {
  return {
    id: 'c1',
    customer_id: 'k1',
    provider: 'gmail',
    name: 'inbox',
    auth_type: 'oauth2',
    status: 'active',
    expires_at: null,
    next_refresh_at: null,
    credentials_version: 0,
    has_refresh_token: true,
    app_exists: null,
    credentials_ciphertext: Buffer.alloc(0),
    credentials_nonce: Buffer.alloc(0),
    wrapped_data_key: Buffer.alloc(0),
    key_id: 'k',
    capabilities: ['read'],
    ...overrides,
  };
}

const inSeconds = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

describe('decideFetch', () => {
  it('is not_found (404) when nothing is granted', () => {
    expect(decideFetch({ provider: 'gmail' }, [], NOW, SKEW)).toEqual({ outcome: 'not_found' });
  });

  it('is ambiguous (409) when two are granted and no name chose one', () => {
    expect(decideFetch({ provider: 'gmail' }, [row(), row({ id: 'c2' })], NOW, SKEW).outcome).toBe('ambiguous');
  });

  it('is forbidden (403) when the grant lacks the asked capability, before anything about the token', () => {
    expect(decideFetch({ provider: 'gmail', capability: 'send' }, [row({ status: 'revoked' })], NOW, SKEW).outcome).toBe('forbidden');
  });

  it('is revoked (409 connection_revoked) for a revoked connection', () => {
    expect(decideFetch({ provider: 'gmail', capability: 'read' }, [row({ status: 'revoked' })], NOW, SKEW).outcome).toBe('revoked');
  });

  it('serves without refreshing a token that is not due, or that nothing can refresh', () => {
    expect(decideFetch({ provider: 'gmail' }, [row({ expires_at: inSeconds(61) })], NOW, SKEW)).toMatchObject({ outcome: 'serve', refresh: false, expired: false });
    expect(decideFetch({ provider: 'gmail' }, [row({ expires_at: null })], NOW, SKEW)).toMatchObject({ outcome: 'serve', refresh: false, expired: false });
    expect(decideFetch({ provider: 'gmail' }, [row({ expires_at: inSeconds(30), app_exists: false })], NOW, SKEW)).toMatchObject({ refresh: false, expired: false });
  });

  it('refreshes a token within the skew, or past it, when an app exists and the credentials can be refreshed', () => {
    expect(decideFetch({ provider: 'gmail' }, [row({ expires_at: inSeconds(60), app_exists: true })], NOW, SKEW)).toMatchObject({ refresh: true });
    expect(decideFetch({ provider: 'gmail' }, [row({ expires_at: inSeconds(-5), app_exists: true })], NOW, SKEW)).toMatchObject({ refresh: true });
    expect(decideFetch({ provider: 'gmail' }, [row({ expires_at: inSeconds(-5), app_exists: true, has_refresh_token: false })], NOW, SKEW)).toMatchObject({
      refresh: false,
      expired: true,
    });
    expect(decideFetch({ provider: 'gmail' }, [row({ expires_at: inSeconds(-5), app_exists: true, auth_type: 'api_key' })], NOW, SKEW)).toMatchObject({
      refresh: false,
      expired: true,
    });
  });
});

describe('afterFailedRefresh', () => {
  it('serves a token still valid (200 with status error)', () => {
    expect(afterFailedRefresh(inSeconds(10), inSeconds(30), NOW)).toEqual({ serve: true });
    expect(afterFailedRefresh(null, inSeconds(30), NOW)).toEqual({ serve: true });
  });

  it('answers 503 for an expired token, with the seconds until the next attempt (at least 1)', () => {
    expect(afterFailedRefresh(inSeconds(-1), inSeconds(29.2), NOW)).toEqual({ serve: false, retryAfterSeconds: 30 });
    expect(afterFailedRefresh(inSeconds(-1), null, NOW)).toEqual({ serve: false, retryAfterSeconds: 1 });
    expect(afterFailedRefresh(inSeconds(-1), inSeconds(-3), NOW)).toEqual({ serve: false, retryAfterSeconds: 1 });
  });
});
