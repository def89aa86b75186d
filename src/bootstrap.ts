import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, type AppModuleOptions } from './app.module';
import type { AppConfig } from './config/app-config';
import { configureApp } from './http/configure-app';
import { createFastifyAdapter } from './http/fastify-adapter';
import type { AppLogger } from './logging/logger';
import { buildOpenApiDocument, serveOpenApi } from './openapi/openapi';

/** Builds the whole application, wired as in production; `main.ts`, the tests and the tools call it. */
export async function createApp(
  config: AppConfig,
  logger: AppLogger,
  databaseUrl: string,
  options: Pick<AppModuleOptions, 'refreshSchedule'> = {},
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ config, logger, databaseUrl, ...options }), createFastifyAdapter(logger), {
    logger: ['error', 'warn'],
    // Fastify's own JSON parser only: Nest's default would also parse form bodies, which must be a 415.
    bodyParser: false,
    abortOnError: false,
  });
  configureApp(app);
  serveOpenApi(app, buildOpenApiDocument(app));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
