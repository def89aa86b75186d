import { ForbiddenException, InternalServerErrorException, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import passport from 'passport';
import { Strategy } from 'passport-custom';
import { Auth, Public } from '../../src/auth/auth.decorator';
import { PrincipalGuard } from '../../src/auth/principal.guard';
import { CUSTOMER_OR_ADMIN_STRATEGY, INSTANCE_STRATEGY } from '../../src/auth/strategy-names';
import type { AppRequest, Principal } from '../../src/http/request-context';

const CUSTOMER_ID = '0b9a4a47-5d1e-4c44-9c1b-6f3a1a4b2c10';
const OTHER_CUSTOMER_ID = '7d3f2c1e-8a9b-4c5d-9e0f-1a2b3c4d5e6f';
const ADMIN: Principal = { kind: 'admin', scheme: 'admin_key' };
const CUSTOMER: Principal = { kind: 'customer', scheme: 'api_key', customerId: CUSTOMER_ID, apiKeyId: 'k' };
const INSTANCE: Principal = { kind: 'instance', scheme: 'proxy_key', customerId: CUSTOMER_ID, instanceId: 'i' };

/** Routes as the guard meets them: a class and its handlers carrying the decorators' metadata. */
class Routes {
  @Public() health() {}
  @Auth('admin') createCustomer() {}
  @Auth('customer') listConnections() {}
  @Auth('instance') fetch() {}
  forgotten() {}
}

/** What the strategies say about the request being authenticated: a principal, or no (401). */
let authenticatedAs: Record<string, Principal | undefined>;
let strategyCalls: string[];

beforeAll(() => {
  for (const name of [CUSTOMER_OR_ADMIN_STRATEGY, INSTANCE_STRATEGY]) {
    passport.use(
      name,
      new Strategy((_request, done) => {
        strategyCalls.push(name);
        done(null, authenticatedAs[name] ?? false);
      }),
    );
  }
});

beforeEach(() => {
  authenticatedAs = {};
  strategyCalls = [];
});

function contextFor(handler: keyof Routes, params: Record<string, string> = {}): { context: ExecutionContext; request: AppRequest } {
  const request = { params, query: {}, headers: {} } as unknown as AppRequest;
  const http = { getRequest: () => request, getResponse: () => ({}), getNext: () => undefined };
  const context = {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    getType: () => 'http',
    getArgs: () => [request, {}, undefined],
    getArgByIndex: (index: number) => [request, {}, undefined][index],
    switchToHttp: () => http,
  } as unknown as ExecutionContext;
  return { context, request };
}

const guard = new PrincipalGuard(new Reflector());

describe('PrincipalGuard', () => {
  it('lets a @Public() route through without asking any strategy', async () => {
    await expect(guard.canActivate(contextFor('health').context)).resolves.toBe(true);
    expect(strategyCalls).toEqual([]);
  });

  it('refuses a route that declares no principal, naming it (closed by default)', async () => {
    authenticatedAs[CUSTOMER_OR_ADMIN_STRATEGY] = ADMIN;
    const refusal = guard.canActivate(contextFor('forgotten').context);
    await expect(refusal).rejects.toBeInstanceOf(InternalServerErrorException);
    await expect(refusal).rejects.toThrow('Route Routes.forgotten declares no principal');
    expect(strategyCalls).toEqual([]);
  });

  describe.each([
    ['createCustomer', CUSTOMER_OR_ADMIN_STRATEGY],
    ['listConnections', CUSTOMER_OR_ADMIN_STRATEGY],
    ['fetch', INSTANCE_STRATEGY],
  ] as const)('%s', (handler, strategy) => {
    it(`asks the ${strategy} strategy only, and is a 401 when it authenticates no one`, async () => {
      await expect(guard.canActivate(contextFor(handler, { customer_id: CUSTOMER_ID }).context)).rejects.toBeInstanceOf(UnauthorizedException);
      expect(strategyCalls).toEqual([strategy]);
    });
  });

  describe("@Auth('admin')", () => {
    it('lets the admin through and sets the principal on the request', async () => {
      authenticatedAs[CUSTOMER_OR_ADMIN_STRATEGY] = ADMIN;
      const { context, request } = contextFor('createCustomer');
      await expect(guard.canActivate(context)).resolves.toBe(true);
      expect(request.principal).toEqual(ADMIN);
    });

    it('refuses a customer with 403', async () => {
      authenticatedAs[CUSTOMER_OR_ADMIN_STRATEGY] = CUSTOMER;
      await expect(guard.canActivate(contextFor('createCustomer').context)).rejects.toThrow(new ForbiddenException('This route is for the admin only'));
    });
  });

  describe("@Auth('customer')", () => {
    it.each([
      ['its own customer id', CUSTOMER_ID],
      ['its own customer id in capitals', CUSTOMER_ID.toUpperCase()],
      ['a malformed id (the parameter pipe answers 422)', 'not-a-uuid'],
    ])('lets the customer act on %s', async (_case, customerId) => {
      authenticatedAs[CUSTOMER_OR_ADMIN_STRATEGY] = CUSTOMER;
      await expect(guard.canActivate(contextFor('listConnections', { customer_id: customerId }).context)).resolves.toBe(true);
    });

    it("refuses another customer's path with 403", async () => {
      authenticatedAs[CUSTOMER_OR_ADMIN_STRATEGY] = CUSTOMER;
      await expect(guard.canActivate(contextFor('listConnections', { customer_id: OTHER_CUSTOMER_ID }).context)).rejects.toThrow(
        new ForbiddenException('These credentials may not act for this customer'),
      );
    });

    it("lets the admin act on any customer's path", async () => {
      authenticatedAs[CUSTOMER_OR_ADMIN_STRATEGY] = ADMIN;
      await expect(guard.canActivate(contextFor('listConnections', { customer_id: OTHER_CUSTOMER_ID }).context)).resolves.toBe(true);
    });
  });

  describe("@Auth('instance')", () => {
    it('lets the instance the proxy-key strategy authenticated through, and never asks the customer strategy', async () => {
      authenticatedAs[INSTANCE_STRATEGY] = INSTANCE;
      authenticatedAs[CUSTOMER_OR_ADMIN_STRATEGY] = ADMIN;
      const { context, request } = contextFor('fetch');
      await expect(guard.canActivate(context)).resolves.toBe(true);
      expect(request.principal).toEqual(INSTANCE);
      expect(strategyCalls).toEqual([INSTANCE_STRATEGY]);
    });
  });
});
