import type { AuthMethod } from '../oauth-apps/oauth-app.entity';

/** What a token endpoint's answer means for the connection. */
export type TokenOutcome =
  | { kind: 'refreshed'; token: Record<string, unknown> }
  /** The provider refused the refresh token (`invalid_grant`): revoked, unless another replica refreshed meanwhile. */
  | { kind: 'refused'; message: string }
  /** Anything that may pass: network, timeout, 5xx, 429, an answer that is not a token. */
  | { kind: 'failed'; message: string };

export interface TokenClient {
  clientId: string;
  clientSecret: string;
  authMethod: AuthMethod;
}

/** The RFC 6749 §6 request: `grant_type=refresh_token`, form-encoded, the client authenticated per RFC 6749 §2.3.1. */
export function refreshTokenRequest(client: TokenClient, refreshToken: string): { headers: Record<string, string>; body: string } {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (client.authMethod === 'client_secret_post') {
    form.set('client_id', client.clientId);
    form.set('client_secret', client.clientSecret);
  } else {
    // §2.3.1: each part form-urlencoded before the base64 of "id:secret".
    const basic = Buffer.from(`${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`, 'utf8').toString('base64');
    headers.authorization = `Basic ${basic}`;
  }
  return { headers, body: form.toString() };
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * Reads a token endpoint's answer. The messages quote the HTTP status and the provider's `error` and
 * `error_description` (short, printable), never a token or the body.
 */
export function readTokenResponse(status: number, body: Buffer): TokenOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const json = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  if (status >= 200 && status < 300) {
    if (json && typeof json.access_token === 'string' && json.access_token.length > 0) return { kind: 'refreshed', token: json };
    return { kind: 'failed', message: `The token endpoint answered HTTP ${status} without an access_token` };
  }
  const error = safeText(json?.error);
  const description = safeText(json?.error_description);
  const said = [error, description].filter(Boolean).join(': ');
  const message = `The token endpoint answered HTTP ${status}${said ? ` (${said})` : ''}`;
  if (status === 400 && error === 'invalid_grant') return { kind: 'refused', message };
  return { kind: 'failed', message };
}

/** A provider's short text, stripped to printable characters and bounded: it ends up in `error_message`. */
function safeText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/[^\x20-\x7e]/g, '').slice(0, 200).trim();
  return text === '' ? undefined : text;
}

/**
 * The credentials after a refresh: the token response merged over the stored credentials (a new
 * `refresh_token` replaces the old), `expires_at` recomputed from `expires_in` (dropped when the answer
 * gives none: such tokens do not expire).
 */
export function mergeRefreshedCredentials(stored: Record<string, unknown>, token: Record<string, unknown>, now: Date): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...stored, ...token };
  const expiresIn = typeof token.expires_in === 'string' ? Number(token.expires_in) : token.expires_in;
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn >= 0) {
    merged.expires_at = new Date(now.getTime() + Math.round(expiresIn * 1000)).toISOString();
  } else {
    delete merged.expires_at;
    delete merged.expires_in;
  }
  return merged;
}

/** Backoff after the n-th failure in a row (n ≥ 1): the base doubling to the maximum, with ±20% jitter. */
export function refreshBackoffMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const backoff = Math.min(baseMs * 2 ** Math.max(0, failures - 1), maxMs);
  return Math.round(backoff * (0.8 + 0.4 * random()));
}

/** Failed calls in a row, over an app's connections, after which its refreshes pause. */
export const APP_FAILURES_TO_PAUSE = 5;

/** After an app's endpoint failed `failures` calls in a row (≥ 5): the pause before the next probe, doubling. */
export function appPauseMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, failures - APP_FAILURES_TO_PAUSE), maxMs);
}
