import { createHash } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import type { Response } from 'supertest';
import type { DataSource } from 'typeorm';
import { TEST_JWT_SECRET, type TestApp } from './test-app';

export const API_KEY_SHAPE = /^hck_[A-Za-z0-9_-]{43}$/;
export const PROXY_KEY_SHAPE = /^hcp_[A-Za-z0-9_-]{43}$/;
export const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** ISO 8601 in UTC with milliseconds, as every timestamp of the API. */
export const TIMESTAMP_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A well-formed id that no row has. */
export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** A FastAPI-shaped 422 with exactly these problems, in this order: `[loc, type]` each. */
export function expectValidationError(response: Response, ...issues: [loc: (string | number)[], type: string][]): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status: 422,
    body: { detail: issues.map(([loc, type]) => ({ loc, msg: expect.any(String), type })) },
  });
  expect(response.headers['content-type']).toMatch(/^application\/json/);
}

/** `{"detail": "..."}` and nothing else, as JSON, with this status. */
export function expectErrorDetail(response: Response, status: number, detail: string | RegExp = /\S/): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { detail: typeof detail === 'string' ? detail : expect.stringMatching(detail) },
  });
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['x-request-id']).toEqual(expect.any(String));
}

/** A 401 in the error shape that tells the client how to authenticate. */
export function expectUnauthorized(response: Response): void {
  expectErrorDetail(response, 401);
  expect(response.headers['www-authenticate']).toBe('Bearer');
}

/** An HS256 JWT signed with the service's `JWT_SECRET` (or `secret`), valid for 5 minutes unless told otherwise. */
export async function signJwt(
  claims: JWTPayload,
  options: { secret?: string; algorithm?: string; expiresAt?: number | null; issuer?: string; audience?: string } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.algorithm ?? 'HS256', typ: 'JWT' }).setIssuedAt();
  if (options.expiresAt !== null) jwt.setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 300);
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

/** `{"alg":"none"}` with these claims and an empty signature: what a forger sends. */
export function unsignedJwt(claims: JWTPayload): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/**
 * Every `table.column` of the database whose stored value contains `secret` in clear: text-like columns
 * by substring, binary columns by byte sequence.
 */
export async function columnsHolding(db: DataSource, secret: string): Promise<string[]> {
  const columns: { table_name: string; column_name: string; data_type: string }[] = await db.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'bytea', 'json', 'jsonb')`,
  );
  expect(columns.length).toBeGreaterThan(0);
  const holding: string[] = [];
  for (const { table_name: table, column_name: column, data_type: type } of columns) {
    const condition =
      type === 'bytea' ? `position($1::bytea in "${column}") > 0` : `strpos("${column}"::text, $1::text) > 0`;
    const value = type === 'bytea' ? Buffer.from(secret, 'utf8') : secret;
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM "${table}" WHERE ${condition}`, [value]);
    if (count > 0) holding.push(`${table}.${column}`);
  }
  return holding;
}

/** The log lines written for the request with this id, parsed. The line is written when the response ends. */
export async function requestLogLines(t: TestApp, requestId: string): Promise<Record<string, unknown>[]> {
  const lines = () =>
    t.logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.req_id === requestId && line.msg === 'request');
  for (let attempt = 0; attempt < 50 && lines().length === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
  return lines();
}
