import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
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

/** The service on its own fresh database, with the production wiring, and its log lines captured. */
export class TestApp {
  /** Every line the service logged, as written. */
  readonly logLines: string[] = [];

  /** The running service; replaced by `restart`. */
  app!: NestFastifyApplication;

  private constructor(private readonly database: { url: string; drop(): Promise<void> }) {}

  /** `reach` lets a test put something between the service and its database (see TcpProxy). */
  static async start(env: NodeJS.ProcessEnv = {}, reach: (url: string) => string = (url) => url): Promise<TestApp> {
    const created = await createTestDatabase();
    const database = { url: reach(created.url), drop: created.drop };
    const t = new TestApp(database);
    t.app = await t.boot(env);
    return t;
  }

  /** Stops the service and starts it again on the same database, with other settings (e.g. new keys). */
  async restart(env: NodeJS.ProcessEnv = {}): Promise<void> {
    await this.app.close();
    this.app = await this.boot(env);
  }

  private boot(env: NodeJS.ProcessEnv): Promise<NestFastifyApplication> {
    const logger = createLogger('info', { write: (line: string) => void this.logLines.push(line) });
    const config = loadConfig({ ...TEST_ENV, ...env, DATABASE_URL: this.database.url });
    return createApp(config, logger, this.database.url);
  }

  http(): TestAgent {
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
