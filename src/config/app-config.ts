import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Raised when a configuration variable is missing or malformed; the message names the variable. */
export class ConfigError extends Error {}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface MasterKey {
  id: string;
  key: Buffer;
}

/** Where generated local state (embedded PostgreSQL, development key) lives. */
export const DATA_DIR = resolve(process.cwd(), '.data');
export const DEV_KEY_FILE = resolve(DATA_DIR, 'dev-encryption-key');
const DEV_KEY_ID = 'dev';

/**
 * The whole configuration, validated once at start-up. Nothing else reads `process.env`.
 * Sensitive values (keys, secrets, the database URL) are never logged.
 */
export class AppConfig {
  readonly nodeEnv: string;
  readonly isProduction: boolean;
  readonly port: number;
  /** Unset: an embedded PostgreSQL under `.data/postgres`. Sensitive (may hold a password). */
  readonly databaseUrl: string | undefined;
  /** The key new data keys are wrapped with. Sensitive. */
  readonly activeKey: MasterKey;
  /** Older master keys, kept to open rows sealed before a rotation. Sensitive. */
  readonly previousKeys: MasterKey[];
  /** True when the active key is the generated development key (never in production). */
  readonly usingDevelopmentKey: boolean;
  readonly adminApiKey: string | undefined;
  readonly jwtSecret: string | undefined;
  readonly jwtJwksUrl: string | undefined;
  readonly jwtIssuer: string | undefined;
  readonly jwtAudience: string | undefined;
  readonly logLevel: LogLevel;
  /** Memory for pages of connection lists kept to be served again (see `ConnectionReads`), in bytes; 0: none kept. */
  readonly connectionPageCacheBytes: number;
  /** A refreshable token expiring within this is refreshed before a fetch answers (OAUTH_REFRESH_SKEW_SECONDS, 60). */
  readonly oauthRefreshSkewMs: number;
  /** Tokens expiring within this are refreshed in the background (OAUTH_REFRESH_AHEAD_SECONDS, 300). */
  readonly oauthRefreshAheadMs: number;
  /** A token request is abandoned after this (OAUTH_TOKEN_TIMEOUT_MS, 10000; at most 20000, under the refresh lease). */
  readonly oauthTokenTimeoutMs: number;
  /** Lifts the outbound-URL rule (https, public addresses only): development and tests only. */
  readonly outboundAllowPrivateNetworks: boolean;
  /** A webhook attempt not answered with a 2xx within this fails (WEBHOOK_TIMEOUT_MS, 10000: the contract's 10 s; lower only in tests). */
  readonly webhookTimeoutMs: number;
  /** Delays before each retry of a failed webhook attempt (WEBHOOK_RETRY_DELAYS_MS; the contract's 5 s … 10 h; shorter only in tests). */
  readonly webhookRetryDelaysMs: number[];
  /** How often an idle replica looks for due webhook deliveries (WEBHOOK_POLL_INTERVAL_MS, 1000). */
  readonly webhookPollIntervalMs: number;
  /** How long a replica's claim on an attempt lasts before another may take it over (WEBHOOK_LEASE_MS, 60000; above the timeout). */
  readonly webhookLeaseMs: number;
  /** Webhook attempts one replica has in flight at most (WEBHOOK_CONCURRENCY, 16). */
  readonly webhookConcurrency: number;
  /** Whether `GET /metrics` serves metrics and requests are timed (`METRICS_ENABLED`, default true). */
  readonly metricsEnabled: boolean;
  /**
   * After SIGTERM, how long the service goes on serving with `/health/ready` at 503 before it stops
   * accepting connections, so that a load balancer sees it leave first (`SHUTDOWN_DELAY_MS`, 0 to 2000).
   */
  readonly shutdownDelayMs: number;
  /** Audit events older than this many days are pruned, a whole seal at a time (AUDIT_RETENTION_DAYS, 365). */
  readonly auditRetentionDays: number;

  constructor(env: NodeJS.ProcessEnv) {
    this.nodeEnv = optional(env, 'NODE_ENV') ?? 'development';
    this.isProduction = this.nodeEnv === 'production';
    this.port = parsePort(env);
    this.databaseUrl = parseDatabaseUrl(env);
    this.adminApiKey = parseAdminApiKey(env);
    this.jwtSecret = parseJwtSecret(env, this.isProduction);
    this.jwtJwksUrl = parseUrl(env, 'JWT_JWKS_URL');
    this.jwtIssuer = optional(env, 'JWT_ISSUER');
    this.jwtAudience = optional(env, 'JWT_AUDIENCE');
    this.logLevel = parseLogLevel(env);
    this.connectionPageCacheBytes = parseMebibytes(env, 'CONNECTION_PAGE_CACHE_MIB', 32);
    this.oauthRefreshSkewMs = parseInteger(env, 'OAUTH_REFRESH_SKEW_SECONDS', 60, 0, 86_400) * 1000;
    this.oauthRefreshAheadMs = parseInteger(env, 'OAUTH_REFRESH_AHEAD_SECONDS', 300, 0, 86_400) * 1000;
    this.oauthTokenTimeoutMs = parseInteger(env, 'OAUTH_TOKEN_TIMEOUT_MS', 10_000, 100, 20_000);
    this.outboundAllowPrivateNetworks = parseBoolean(env, 'OUTBOUND_ALLOW_PRIVATE_NETWORKS', false);
    this.webhookTimeoutMs = parseInteger(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 50, 10_000);
    this.webhookRetryDelaysMs = parseDelays(env, 'WEBHOOK_RETRY_DELAYS_MS', WEBHOOK_RETRY_DELAYS_MS);
    this.webhookPollIntervalMs = parseInteger(env, 'WEBHOOK_POLL_INTERVAL_MS', 1_000, 5, 60_000);
    this.webhookLeaseMs = parseInteger(env, 'WEBHOOK_LEASE_MS', 60_000, 100, 3_600_000);
    if (this.webhookLeaseMs <= this.webhookTimeoutMs) {
      // A claim that ended before its attempt could let another replica send the same attempt.
      throw new ConfigError('WEBHOOK_LEASE_MS must be greater than WEBHOOK_TIMEOUT_MS');
    }
    this.webhookConcurrency = parseInteger(env, 'WEBHOOK_CONCURRENCY', 16, 1, 256);
    this.metricsEnabled = parseBoolean(env, 'METRICS_ENABLED', true);
    this.shutdownDelayMs = parseInteger(env, 'SHUTDOWN_DELAY_MS', 0, 0, 2_000);
    this.auditRetentionDays = parseInteger(env, 'AUDIT_RETENTION_DAYS', 365, 1, 36_500);
    const keys = parseMasterKeys(env, this.isProduction);
    this.activeKey = keys.active;
    this.previousKeys = keys.previous;
    this.usingDevelopmentKey = keys.development;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return new AppConfig(env);
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function parsePort(env: NodeJS.ProcessEnv): number {
  const raw = optional(env, 'PORT');
  if (raw === undefined) return 3000;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError('PORT must be an integer from 0 to 65535');
  }
  return Number(raw);
}

function parseDatabaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = optional(env, 'DATABASE_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  return raw;
}

function parseUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL`);
  }
  return raw;
}

function parseAdminApiKey(env: NodeJS.ProcessEnv): string | undefined {
  const raw = optional(env, 'ADMIN_API_KEY');
  if (raw !== undefined && raw.length < 32) {
    throw new ConfigError('ADMIN_API_KEY must be at least 32 characters');
  }
  return raw;
}

function parseJwtSecret(env: NodeJS.ProcessEnv, isProduction: boolean): string | undefined {
  const raw = optional(env, 'JWT_SECRET');
  if (raw !== undefined && isProduction && Buffer.byteLength(raw, 'utf8') < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 bytes in production');
  }
  return raw;
}

function parseInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

/** The contract's retry schedule of a failed webhook attempt: about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const WEBHOOK_RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

function parseDelays(env: NodeJS.ProcessEnv, name: string, fallback: number[]): number[] {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const delays = raw.split(',').map((entry) => entry.trim());
  if (delays.length > 20 || delays.some((entry) => !/^\d{1,9}$/.test(entry))) {
    throw new ConfigError(`${name} must be a comma-separated list of at most 20 whole numbers of milliseconds`);
  }
  return delays.map(Number);
}

function parseBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false`);
}

function parseMebibytes(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback * 1024 * 1024;
  if (!/^\d{1,5}$/.test(raw)) {
    throw new ConfigError(`${name} must be a whole number of MiB (0 to 99999)`);
  }
  return Number(raw) * 1024 * 1024;
}


function parseLogLevel(env: NodeJS.ProcessEnv): LogLevel {
  const raw = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(raw as LogLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return raw as LogLevel;
}

const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** `idName` is the variable the id came from, so a bad id names `ENCRYPTION_KEY_ID`, not the key. */
function decodeMasterKey(name: string, id: string, base64: string, idName: string = name): MasterKey {
  if (!KEY_ID_PATTERN.test(id)) {
    throw new ConfigError(`${idName}: key id must be 1-64 characters of A-Z a-z 0-9 . _ -`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new ConfigError(`${name} must be the base64 of 32 bytes`);
  }
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) {
    throw new ConfigError(`${name} must be the base64 of 32 bytes`);
  }
  return { id, key };
}

function parseMasterKeys(
  env: NodeJS.ProcessEnv,
  isProduction: boolean,
): { active: MasterKey; previous: MasterKey[]; development: boolean } {
  const previous = (optional(env, 'ENCRYPTION_PREVIOUS_KEYS') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const separator = entry.indexOf(':');
      if (separator <= 0) {
        throw new ConfigError('ENCRYPTION_PREVIOUS_KEYS must be a comma-separated list of id:base64');
      }
      return decodeMasterKey('ENCRYPTION_PREVIOUS_KEYS', entry.slice(0, separator), entry.slice(separator + 1));
    });

  const rawKey = optional(env, 'ENCRYPTION_KEY');
  const keyId = optional(env, 'ENCRYPTION_KEY_ID');
  let active: MasterKey;
  let development = false;
  if (rawKey === undefined) {
    if (isProduction) {
      throw new ConfigError('ENCRYPTION_KEY is required in production (base64 of 32 bytes)');
    }
    if (keyId !== undefined && keyId !== DEV_KEY_ID) {
      throw new ConfigError('ENCRYPTION_KEY_ID is set but ENCRYPTION_KEY is not');
    }
    active = { id: DEV_KEY_ID, key: readOrCreateDevelopmentKey() };
    development = true;
  } else {
    active = decodeMasterKey('ENCRYPTION_KEY', keyId ?? 'default', rawKey, 'ENCRYPTION_KEY_ID');
    if (isProduction && isDevelopmentKey(active.key)) {
      throw new ConfigError('ENCRYPTION_KEY is the generated development key; production needs its own key');
    }
  }
  if (previous.some((key) => key.id === active.id)) {
    throw new ConfigError('ENCRYPTION_PREVIOUS_KEYS must not repeat the id of ENCRYPTION_KEY_ID');
  }
  if (new Set(previous.map((key) => key.id)).size !== previous.length) {
    throw new ConfigError('ENCRYPTION_PREVIOUS_KEYS holds the same key id twice');
  }
  if (isProduction) {
    // A key that sits in a file beside the checkout opens nothing in production, not even old rows:
    // rotate them off it (`keys:rotate` outside production) before going live.
    const development = previous.find((key) => isDevelopmentKey(key.key));
    if (development) {
      throw new ConfigError(`ENCRYPTION_PREVIOUS_KEYS: key "${development.id}" is the generated development key; production refuses it, even as a previous key`);
    }
  } else if (!development && existsSync(DEV_KEY_FILE) && !previous.some((key) => key.id === DEV_KEY_ID)) {
    // Rows sealed under the development key stay readable once a real key is configured.
    previous.push({ id: DEV_KEY_ID, key: readDevelopmentKeyFile() });
  }
  return { active, previous, development };
}

function readDevelopmentKeyFile(): Buffer {
  const key = Buffer.from(readFileSync(DEV_KEY_FILE, 'utf8').trim(), 'base64');
  if (key.length !== 32) {
    throw new ConfigError(`ENCRYPTION_KEY: the development key in ${DEV_KEY_FILE} is damaged; delete it or set ENCRYPTION_KEY`);
  }
  return key;
}

function isDevelopmentKey(key: Buffer): boolean {
  return existsSync(DEV_KEY_FILE) && readDevelopmentKeyFile().equals(key);
}

function readOrCreateDevelopmentKey(): Buffer {
  if (existsSync(DEV_KEY_FILE)) return readDevelopmentKeyFile();
  mkdirSync(dirname(DEV_KEY_FILE), { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(DEV_KEY_FILE, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs, so both seal under the same key.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readDevelopmentKeyFile();
    throw error;
  }
  chmodSync(DEV_KEY_FILE, 0o600);
  return key;
}
