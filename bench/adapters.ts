import 'reflect-metadata';
import {
  type CanActivate,
  ConflictException,
  Controller,
  type ExecutionContext,
  ForbiddenException,
  Get,
  Header,
  Injectable,
  Module,
  NotFoundException,
  Req,
  UseGuards,
} from '@nestjs/common';
import { type AbstractHttpAdapter, NestFactory } from '@nestjs/core';
import { type FloorRow, FloorFetch } from './floor-fetch';

/**
 * The platform adapter's share of the fetch, for `npm run bench`: the floor's own fetch (`FloorFetch`),
 * done by a Nest guard and handler, on the adapter ADAPTER names (`fastify` or `express`). Nothing of
 * the service's own (no passport, no logging, no filters): against the floor it shows what Nest on each
 * adapter costs the fetch, and so why the service runs on fastify. Not part of the service.
 * Env: ADAPTER, DATABASE_URL, PORT, ENCRYPTION_KEY (base64), ENCRYPTION_KEY_ID.
 */
const floor = new FloorFetch(process.env);

interface FetchRequest {
  headers: Record<string, string | string[] | undefined>;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  row?: FloorRow;
}

@Injectable()
class ProxyKeyGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FetchRequest>();
    const key = String(request.headers.authorization ?? '').slice('Bearer '.length);
    const rows = await floor.find(request.params.instance_id, key, request.query.provider ?? null);
    if (rows.length === 0) throw new NotFoundException();
    if (rows.length > 1) throw new ConflictException();
    request.row = rows[0];
    return true;
  }
}

@Controller('internal/v1/instances/:instance_id/connections')
class FetchController {
  @Get()
  @UseGuards(ProxyKeyGuard)
  @Header('Cache-Control', 'no-store')
  fetch(@Req() request: FetchRequest): { credentials: Record<string, unknown>; capabilities: string[] } {
    const row = request.row!;
    const capability = request.query.capability;
    if (capability !== undefined && !row.capabilities.includes(capability)) throw new ForbiddenException();
    return { credentials: floor.open(row), capabilities: row.capabilities };
  }
}

@Controller('health')
class HealthController {
  @Get('live')
  live(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [FetchController, HealthController], providers: [ProxyKeyGuard] })
class AdapterModule {}

async function adapter(name: string | undefined): Promise<AbstractHttpAdapter> {
  if (name === 'fastify') return new (await import('@nestjs/platform-fastify')).FastifyAdapter();
  if (name === 'express') return new (await import('@nestjs/platform-express')).ExpressAdapter();
  throw new Error(`ADAPTER must be fastify or express, not ${name}`);
}

async function main(): Promise<void> {
  await floor.connect();
  const app = await NestFactory.create(AdapterModule, await adapter(process.env.ADAPTER), { logger: ['error', 'warn'] });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.on('SIGTERM', () => void app.close().then(() => floor.end()).then(() => process.exit(0)));
}

void main();
