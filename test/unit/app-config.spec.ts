// First: the development key lives under <cwd>/.data, so this file runs in an empty folder; the repository's
// own .data/ is neither read nor written, and the results do not depend on it.
import { restoreCwd, temporaryCwd } from '../support/temporary-cwd';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as config from '../../src/config/app-config';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');
const KEY_C = Buffer.alloc(32, 3).toString('base64');
/** Every test passes a master key unless it tests the development key, so nothing is written under .data/. */
const BASE: NodeJS.ProcessEnv = { ENCRYPTION_KEY: KEY_A };

describe('loadConfig', () => {
  afterAll(() => restoreCwd());

  /** The ConfigError `env` raises; fails when it raises nothing or something else. */
  function configErrorOf(env: NodeJS.ProcessEnv): Error {
    try {
      config.loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(config.ConfigError);
      return error as Error;
    }
    throw new Error('expected a ConfigError');
  }

  describe('defaults', () => {
    it('gives the documented defaults when only the master key is set', () => {
      const loaded = config.loadConfig({ ...BASE });
      expect(loaded).toMatchObject({
        nodeEnv: 'development',
        isProduction: false,
        port: 3000,
        databaseUrl: undefined,
        adminApiKey: undefined,
        jwtSecret: undefined,
        jwtJwksUrl: undefined,
        jwtIssuer: undefined,
        jwtAudience: undefined,
        logLevel: 'info',
        usingDevelopmentKey: false,
        previousKeys: [],
      });
      expect(loaded.activeKey.key).toEqual(Buffer.alloc(32, 1));
      expect(loaded.activeKey.id).toEqual(expect.any(String));
    });

    it('treats empty and blank values as unset', () => {
      const loaded = config.loadConfig({ ...BASE, PORT: '', LOG_LEVEL: '  ', DATABASE_URL: '', JWT_SECRET: '' });
      expect(loaded).toMatchObject({ port: 3000, logLevel: 'info', databaseUrl: undefined, jwtSecret: undefined });
    });

    it('reads every variable it is given', () => {
      const loaded = config.loadConfig({
        ...BASE,
        NODE_ENV: 'production',
        PORT: '8080',
        DATABASE_URL: 'postgresql://app:pw@db.internal:5432/hydracore',
        ENCRYPTION_KEY_ID: 'k2',
        ENCRYPTION_PREVIOUS_KEYS: `k1:${KEY_B}, k0:${KEY_C}`,
        ADMIN_API_KEY: 'a'.repeat(32),
        JWT_SECRET: 's'.repeat(32),
        JWT_JWKS_URL: 'https://idp.example.test/.well-known/jwks.json',
        JWT_ISSUER: 'https://idp.example.test/',
        JWT_AUDIENCE: 'hydracore',
        LOG_LEVEL: 'warn',
      });
      expect(loaded).toMatchObject({
        isProduction: true,
        port: 8080,
        databaseUrl: 'postgresql://app:pw@db.internal:5432/hydracore',
        activeKey: { id: 'k2', key: Buffer.alloc(32, 1) },
        previousKeys: [
          { id: 'k1', key: Buffer.alloc(32, 2) },
          { id: 'k0', key: Buffer.alloc(32, 3) },
        ],
        adminApiKey: 'a'.repeat(32),
        jwtSecret: 's'.repeat(32),
        jwtJwksUrl: 'https://idp.example.test/.well-known/jwks.json',
        jwtIssuer: 'https://idp.example.test/',
        jwtAudience: 'hydracore',
        logLevel: 'warn',
      });
    });
  });

  describe('PORT', () => {
    it.each(['abc', '-1', '65536', '3.5', '80 80', '0x50'])('refuses PORT=%s naming PORT', (port) => {
      expect(configErrorOf({ ...BASE, PORT: port }).message).toMatch(/\bPORT\b/);
    });

    it('takes 0 and 65535', () => {
      expect(config.loadConfig({ ...BASE, PORT: '0' }).port).toBe(0);
      expect(config.loadConfig({ ...BASE, PORT: '65535' }).port).toBe(65535);
    });
  });

  describe('ENCRYPTION_KEY', () => {
    it('refuses a value that is not base64, naming ENCRYPTION_KEY and not echoing the value', () => {
      const error = configErrorOf({ ENCRYPTION_KEY: 'not*base64!secret-ish' });
      expect(error.message).toMatch(/\bENCRYPTION_KEY\b/);
      expect(error.message).not.toContain('secret-ish');
    });

    it.each([16, 31, 33, 64])('refuses the base64 of %i bytes, naming ENCRYPTION_KEY', (bytes) => {
      expect(configErrorOf({ ENCRYPTION_KEY: Buffer.alloc(bytes, 9).toString('base64') }).message).toMatch(/\bENCRYPTION_KEY\b/);
    });

    it('refuses a malformed ENCRYPTION_KEY_ID, naming ENCRYPTION_KEY_ID', () => {
      expect(configErrorOf({ ...BASE, ENCRYPTION_KEY_ID: 'has space' }).message).toMatch(/\bENCRYPTION_KEY_ID\b/);
      expect(configErrorOf({ ...BASE, ENCRYPTION_KEY_ID: 'k'.repeat(65) }).message).toMatch(/\bENCRYPTION_KEY_ID\b/);
    });

    it('is required in production', () => {
      expect(configErrorOf({ NODE_ENV: 'production' }).message).toMatch(/\bENCRYPTION_KEY\b/);
    });
  });

  describe('ENCRYPTION_PREVIOUS_KEYS', () => {
    it.each([
      ['an entry without an id', `${KEY_B}`],
      ['an empty id', `:${KEY_B}`],
      ['a key that is not base64', 'k1:***'],
      ['a key of the wrong length', `k1:${Buffer.alloc(16).toString('base64')}`],
      ['a malformed id', `bad id:${KEY_B}`],
      ['the same id twice', `k1:${KEY_B},k1:${KEY_C}`],
    ])('refuses %s, naming ENCRYPTION_PREVIOUS_KEYS', (_case, value) => {
      expect(configErrorOf({ ...BASE, ENCRYPTION_KEY_ID: 'k2', ENCRYPTION_PREVIOUS_KEYS: value }).message).toMatch(/\bENCRYPTION_PREVIOUS_KEYS\b/);
    });

    it('refuses a previous key with the active key\u2019s id', () => {
      expect(configErrorOf({ ...BASE, ENCRYPTION_KEY_ID: 'k1', ENCRYPTION_PREVIOUS_KEYS: `k1:${KEY_B}` }).message).toMatch(/\bENCRYPTION_PREVIOUS_KEYS\b/);
    });

    it('ignores empty entries', () => {
      expect(config.loadConfig({ ...BASE, ENCRYPTION_KEY_ID: 'k2', ENCRYPTION_PREVIOUS_KEYS: `,k1:${KEY_B},` }).previousKeys).toEqual([{ id: 'k1', key: Buffer.alloc(32, 2) }]);
    });
  });

  describe('JWT and admin settings', () => {
    it('refuses a JWT_SECRET under 32 bytes in production, naming JWT_SECRET', () => {
      expect(configErrorOf({ ...BASE, NODE_ENV: 'production', JWT_SECRET: 'short-secret' }).message).toMatch(/\bJWT_SECRET\b/);
    });

    it('takes a 32-byte JWT_SECRET in production, and a short one outside production', () => {
      expect(config.loadConfig({ ...BASE, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwtSecret).toBe('x'.repeat(32));
      expect(config.loadConfig({ ...BASE, JWT_SECRET: 'short' }).jwtSecret).toBe('short');
    });

    it('refuses an ADMIN_API_KEY under 32 characters, naming ADMIN_API_KEY', () => {
      expect(configErrorOf({ ...BASE, ADMIN_API_KEY: 'admin' }).message).toMatch(/\bADMIN_API_KEY\b/);
    });

    it.each(['not a url', 'ftp://idp.example.test/jwks.json'])('refuses JWT_JWKS_URL=%s, naming JWT_JWKS_URL', (url) => {
      expect(configErrorOf({ ...BASE, JWT_JWKS_URL: url }).message).toMatch(/\bJWT_JWKS_URL\b/);
    });
  });

  describe('LOG_LEVEL', () => {
    it.each(['verbose', 'INFO', '1'])('refuses LOG_LEVEL=%s, naming LOG_LEVEL', (level) => {
      expect(configErrorOf({ ...BASE, LOG_LEVEL: level }).message).toMatch(/\bLOG_LEVEL\b/);
    });

    it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])('takes LOG_LEVEL=%s', (level) => {
      expect(config.loadConfig({ ...BASE, LOG_LEVEL: level }).logLevel).toBe(level);
    });
  });

  describe('CONNECTION_PAGE_CACHE_MIB', () => {
    it('keeps 32 MiB of pages when unset, and none at 0', () => {
      expect(config.loadConfig(BASE).connectionPageCacheBytes).toBe(32 * 1024 * 1024);
      expect(config.loadConfig({ ...BASE, CONNECTION_PAGE_CACHE_MIB: '0' }).connectionPageCacheBytes).toBe(0);
      expect(config.loadConfig({ ...BASE, CONNECTION_PAGE_CACHE_MIB: '128' }).connectionPageCacheBytes).toBe(128 * 1024 * 1024);
    });

    it.each(['-1', '1.5', 'lots', '100000'])('refuses CONNECTION_PAGE_CACHE_MIB=%s, naming it', (value) => {
      expect(configErrorOf({ ...BASE, CONNECTION_PAGE_CACHE_MIB: value }).message).toMatch(/\bCONNECTION_PAGE_CACHE_MIB\b/);
    });
  });

  describe('METRICS_ENABLED', () => {
    it('records metrics when unset, and not when false', () => {
      expect(config.loadConfig(BASE).metricsEnabled).toBe(true);
      expect(config.loadConfig({ ...BASE, METRICS_ENABLED: 'false' }).metricsEnabled).toBe(false);
      expect(config.loadConfig({ ...BASE, METRICS_ENABLED: '0' }).metricsEnabled).toBe(false);
      expect(config.loadConfig({ ...BASE, METRICS_ENABLED: 'TRUE' }).metricsEnabled).toBe(true);
    });

    it.each(['yes', 'off', '2'])('refuses METRICS_ENABLED=%s, naming it', (value) => {
      expect(configErrorOf({ ...BASE, METRICS_ENABLED: value }).message).toMatch(/\bMETRICS_ENABLED\b/);
    });
  });

  describe('SHUTDOWN_DELAY_MS', () => {
    it('waits nothing when unset, and up to 2000 ms', () => {
      expect(config.loadConfig(BASE).shutdownDelayMs).toBe(0);
      expect(config.loadConfig({ ...BASE, SHUTDOWN_DELAY_MS: '2000' }).shutdownDelayMs).toBe(2000);
    });

    it.each(['-1', '2001', '1.5', 'soon'])('refuses SHUTDOWN_DELAY_MS=%s, naming it', (value) => {
      expect(configErrorOf({ ...BASE, SHUTDOWN_DELAY_MS: value }).message).toMatch(/\bSHUTDOWN_DELAY_MS\b/);
    });
  });

  describe('DATABASE_URL', () => {
    it.each(['not a url', 'mysql://db/hydracore', 'http://db/hydracore'])('refuses DATABASE_URL=%s, naming DATABASE_URL', (url) => {
      expect(configErrorOf({ ...BASE, DATABASE_URL: url }).message).toMatch(/\bDATABASE_URL\b/);
    });

    it('never echoes the URL, which may hold a password', () => {
      expect(configErrorOf({ ...BASE, DATABASE_URL: 'mysql://u:hunter2@db/x' }).message).not.toContain('hunter2');
    });

    it.each(['postgres://u:p@db:5432/x', 'postgresql://db/x'])('takes %s', (url) => {
      expect(config.loadConfig({ ...BASE, DATABASE_URL: url }).databaseUrl).toBe(url);
    });
  });

  // Last: these write the development key under the temporary folder's .data/.
  describe('the development key', () => {
    it('is generated once outside production when ENCRYPTION_KEY is unset, kept readable by its owner only', () => {
      expect(existsSync(config.DEV_KEY_FILE)).toBe(false);
      const first = config.loadConfig({});
      expect(first.usingDevelopmentKey).toBe(true);
      expect(first.activeKey.key).toHaveLength(32);
      expect(config.DEV_KEY_FILE.startsWith(temporaryCwd)).toBe(true);
      expect(statSync(config.DEV_KEY_FILE).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(config.DEV_KEY_FILE, 'utf8').trim(), 'base64')).toEqual(first.activeKey.key);
      expect(config.loadConfig({}).activeKey).toEqual(first.activeKey);
    });

    it('refuses ENCRYPTION_KEY_ID without ENCRYPTION_KEY, naming both', () => {
      expect(configErrorOf({ ENCRYPTION_KEY_ID: 'k9' }).message).toMatch(/ENCRYPTION_KEY_ID.*ENCRYPTION_KEY\b/);
    });

    it('stays readable as a previous key once a real key is set, so rows sealed under it still open', () => {
      const development = config.loadConfig({}).activeKey;
      const loaded = config.loadConfig({ ...BASE, ENCRYPTION_KEY_ID: 'k1' });
      expect(loaded.previousKeys).toContainEqual(development);
    });

    it('is refused as the production key', () => {
      const development = config.loadConfig({}).activeKey.key.toString('base64');
      expect(configErrorOf({ NODE_ENV: 'production', ENCRYPTION_KEY: development }).message).toMatch(/\bENCRYPTION_KEY\b/);
    });

    it('is refused in production even as a previous key, naming ENCRYPTION_PREVIOUS_KEYS, and not echoed', () => {
      const development = config.loadConfig({}).activeKey.key.toString('base64');
      const error = configErrorOf({ NODE_ENV: 'production', ENCRYPTION_KEY: KEY_B, ENCRYPTION_PREVIOUS_KEYS: `old:${development}` });
      expect(error.message).toMatch(/\bENCRYPTION_PREVIOUS_KEYS\b.*development key/);
      expect(error.message).not.toContain(development);
      // Outside production the same configuration is fine.
      expect(config.loadConfig({ ENCRYPTION_KEY: KEY_B, ENCRYPTION_PREVIOUS_KEYS: `old:${development}` }).previousKeys).toContainEqual({ id: 'old', key: Buffer.from(development, 'base64') });
    });

    it('is not added as a previous key in production, though its file is there', () => {
      expect(existsSync(config.DEV_KEY_FILE)).toBe(true);
      const loaded = config.loadConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: KEY_B, ENCRYPTION_KEY_ID: 'k2' });
      expect(loaded.previousKeys).toEqual([]);
    });

    it('is never generated in production', () => {
      rmSync(config.DEV_KEY_FILE);
      configErrorOf({ NODE_ENV: 'production' });
      expect(existsSync(config.DEV_KEY_FILE)).toBe(false);
    });
  });
});
