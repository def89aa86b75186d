import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import passport from 'passport';
import { DataSource } from 'typeorm';
import { CustomerOrAdminStrategy } from '../../src/auth/strategies/customer-or-admin.strategy';
import { CUSTOMER_OR_ADMIN_STRATEGY, INSTANCE_STRATEGY } from '../../src/auth/strategy-names';
import { ProxyKeyStrategy } from '../../src/internal-credentials/proxy-key.strategy';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/app-config';
import { LastUsedRecorder } from '../../src/last-used/last-used-recorder';
import { createLogger } from '../../src/logging/logger';
import { createTestDatabase } from './database';

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef0123456789abcdef';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';
/** A fixed master key for tests: base64 of 32 bytes. */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
export const TEST_ENCRYPTION_KEY_ID = 'test-k1';

export const TEST_ENV: NodeJS.ProcessEnv = {
  NODE_ENV: 'test',
  ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
  ENCRYPTION_KEY_ID: TEST_ENCRYPTION_KEY_ID,
  ADMIN_API_KEY: TEST_ADMIN_KEY,
  JWT_SECRET: TEST_JWT_SECRET,
  LOG_LEVEL: 'info',
};

export const asAdmin = { 'X-Api-Key': TEST_ADMIN_KEY };

/** What `createApp` takes besides the configuration: shorter refresh intervals, for instance. */
export type AppOptions = Parameters<typeof createApp>[3];

/** The service on its own fresh database, with the production wiring, and its log lines captured. */
export class TestApp {
  /** Every line the service logged, as written. */
  readonly logLines: string[] = [];

  /** The running service; replaced by `restart`. */
  app!: NestFastifyApplication;

  private constructor(
    private readonly database: { url: string; drop(): Promise<void> },
    private readonly options: AppOptions,
  ) {}

  /** `reach` lets a test put something between the service and its database (see TcpProxy). */
  static async start(env: NodeJS.ProcessEnv = {}, reach: (url: string) => string = (url) => url, options: AppOptions = {}): Promise<TestApp> {
    const created = await createTestDatabase();
    const database = { url: reach(created.url), drop: created.drop };
    const t = new TestApp(database, options);
    t.app = await t.boot(env);
    return t;
  }

  /**
   * A second replica of the service on the same database, as production runs several; `close()` leaves
   * the database. Passport keeps strategies in one registry per process, so while both run, both
   * authenticate with the strategies of the app whose `http()` was called last (see there).
   */
  async replica(env: NodeJS.ProcessEnv = {}, options: AppOptions = this.options): Promise<TestApp> {
    const replica = new TestApp({ url: this.database.url, drop: async () => undefined }, options);
    replica.app = await replica.boot(env);
    return replica;
  }

  /** Stops the service and starts it again on the same database, with other settings (e.g. new keys). */
  async restart(env: NodeJS.ProcessEnv = {}): Promise<void> {
    await this.app.close();
    this.app = await this.boot(env);
  }

  private boot(env: NodeJS.ProcessEnv): Promise<NestFastifyApplication> {
    const logger = createLogger('info', { write: (line: string) => void this.logLines.push(line) });
    const config = loadConfig({ ...TEST_ENV, ...env, DATABASE_URL: this.database.url });
    return createApp(config, logger, this.database.url, this.options);
  }

  /**
   * Passport keeps one registry of strategies per process: with several apps in a test file (replicas,
   * an app with other settings), requests are authenticated by this app's own strategies again.
   */
  /** The database this app (and its replicas) use, for a service process started beside it. */
  get databaseUrl(): string {
    return this.database.url;
  }

  http(): TestAgent {
    passport.use(CUSTOMER_OR_ADMIN_STRATEGY, this.app.get(CustomerOrAdminStrategy));
    passport.use(INSTANCE_STRATEGY, this.app.get(ProxyKeyStrategy));
    return request(this.app.getHttpServer());
  }

  get db(): DataSource {
    return this.app.get(DataSource);
  }

  /** Writes pending `last_used_at` timestamps now instead of within the second. */
  flushLastUsed(): Promise<void> {
    return this.app.get(LastUsedRecorder).flush();
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.database.drop();
  }
}
