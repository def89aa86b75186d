import { type ExecutionContext, InternalServerErrorException, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { AUTH_METADATA } from '../../src/auth/auth.decorator';
import { PrincipalGuard } from '../../src/auth/principal.guard';
import { TestApp } from '../support/test-app';

/**
 * Who may call each route, read from the `@Auth(...)` / `@Public()` metadata of every controller method.
 * A change to this list is a permission change: review it as one.
 */
const EXPECTED_PERMISSIONS = [
  'DELETE /v1/customers/:customer_id -> admin',
  'DELETE /v1/customers/:customer_id/api-keys/:api_key_id -> customer',
  'DELETE /v1/customers/:customer_id/connections/:connection_id -> customer',
  'DELETE /v1/customers/:customer_id/connections/:connection_id/grants/:grant_id -> customer',
  'DELETE /v1/customers/:customer_id/instances/:instance_id -> customer',
  'DELETE /v1/customers/:customer_id/oauth-apps/:app_id -> customer',
  'DELETE /v1/customers/:customer_id/webhooks/:webhook_id -> customer',
  'GET /health/live -> public',
  'GET /health/ready -> public',
  'GET /internal/v1/instances/:instance_id/connections -> instance',
  'GET /metrics -> admin',
  'GET /v1/customers -> admin',
  'GET /v1/customers/:customer_id -> customer',
  'GET /v1/customers/:customer_id/api-keys -> customer',
  'GET /v1/customers/:customer_id/audit-events -> customer',
  'GET /v1/customers/:customer_id/audit-events/export -> customer',
  'GET /v1/customers/:customer_id/connections -> customer',
  'GET /v1/customers/:customer_id/connections/:connection_id -> customer',
  'GET /v1/customers/:customer_id/instances -> customer',
  'GET /v1/customers/:customer_id/oauth-apps -> customer',
  'GET /v1/customers/:customer_id/oauth-apps/:app_id -> customer',
  'GET /v1/customers/:customer_id/webhooks -> customer',
  'GET /v1/customers/:customer_id/webhooks/:webhook_id -> customer',
  'GET /v1/customers/:customer_id/webhooks/:webhook_id/deliveries -> customer',
  'PATCH /v1/customers/:customer_id/connections/:connection_id -> customer',
  'PATCH /v1/customers/:customer_id/oauth-apps/:app_id -> customer',
  'PATCH /v1/customers/:customer_id/webhooks/:webhook_id -> customer',
  'POST /v1/customers -> admin',
  'POST /v1/customers/:customer_id/api-keys -> customer',
  'POST /v1/customers/:customer_id/connections -> customer',
  'POST /v1/customers/:customer_id/connections/:connection_id/grants -> customer',
  'POST /v1/customers/:customer_id/connections/:connection_id/refresh -> customer',
  'POST /v1/customers/:customer_id/instances -> customer',
  'POST /v1/customers/:customer_id/instances/:instance_id/proxy-key -> customer',
  'POST /v1/customers/:customer_id/oauth-apps -> customer',
  'POST /v1/customers/:customer_id/webhooks -> customer',
  'POST /v1/customers/:customer_id/webhooks/:webhook_id/rotate-secret -> customer',
  'POST /v1/customers/:customer_id/webhooks/:webhook_id/test -> customer',
];

describe('Route permissions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  /** `METHOD /path -> rule` for every controller method that is a route; `NONE` where no rule is declared. */
  function declaredPermissions(): string[] {
    const discovery = new DiscoveryService(t.app.get(ModulesContainer));
    const reflector = t.app.get(Reflector);
    const scanner = new MetadataScanner();
    const lines: string[] = [];
    for (const wrapper of discovery.getControllers()) {
      const controller = wrapper.metatype as new (...args: never[]) => object;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, (...args: unknown[]) => unknown>)[name];
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const fullPath = `/${[base, path].map((part) => part.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
        const rule = reflector.getAllAndOverride<string | undefined>(AUTH_METADATA, [handler, controller]) ?? 'NONE';
        lines.push(`${method} ${fullPath} -> ${rule}`);
      }
    }
    return lines.sort();
  }

  it('match the reviewed list, route by route', () => {
    expect(declaredPermissions()).toEqual(EXPECTED_PERMISSIONS);
  });

  it('declare a rule on every route (the guard refuses a route without one)', () => {
    const permissions = declaredPermissions();
    expect(permissions.length).toBeGreaterThan(10);
    expect(permissions.filter((line) => !/ -> (admin|customer|instance|public)$/.test(line))).toEqual([]);
  });

  it('keep every /v1 route for the admin or a customer, every /internal route for an instance', () => {
    for (const line of declaredPermissions()) {
      if (line.includes(' /v1/')) expect(line).toMatch(/ -> (admin|customer)$/);
      else if (line.includes(' /internal/')) expect(line).toMatch(/ -> instance$/);
      else expect(line).toMatch(/^GET \/health\/\w+ -> public$|^GET \/metrics -> admin$/);
    }
  });

  it('fail closed: the global guard refuses a handler that declares no rule', async () => {
    class Undeclared {
      forgotten(): void {}
    }
    const context = {
      getHandler: () => Undeclared.prototype.forgotten,
      getClass: () => Undeclared,
      switchToHttp: () => ({ getRequest: () => ({ headers: {}, params: {} }) }),
    } as unknown as ExecutionContext;
    const guard = new PrincipalGuard(t.app.get(Reflector));
    await expect(guard.canActivate(context)).rejects.toBeInstanceOf(InternalServerErrorException);
  });
});
