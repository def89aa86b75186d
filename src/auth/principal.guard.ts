import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, InternalServerErrorException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { AppRequest, Principal, PrincipalKind } from '../http/request-context';
import { isUuid } from '../http/uuid-param';
import { AUTH_METADATA } from './auth.decorator';
import { CUSTOMER_OR_ADMIN_STRATEGY, INSTANCE_STRATEGY } from './strategy-names';

const CustomerOrAdminGuard = AuthGuard(CUSTOMER_OR_ADMIN_STRATEGY);
const InstanceGuard = AuthGuard(INSTANCE_STRATEGY);

/**
 * The global guard. Closed by default: a route without `@Auth(...)` or `@Public()` is refused.
 * Authentication is the passport strategy's (401); this guard then decides whether the principal may
 * act on the path (403 for another customer's path or a customer on an admin route).
 */
@Injectable()
export class PrincipalGuard implements CanActivate {
  private readonly customerOrAdmin = new CustomerOrAdminGuard({ property: 'principal' });
  private readonly instance = new InstanceGuard({ property: 'principal' });

  constructor(private readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<PrincipalKind | 'public' | undefined>(AUTH_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (rule === 'public') return true;
    if (rule === undefined) {
      throw new InternalServerErrorException(`Route ${context.getClass().name}.${context.getHandler().name} declares no principal`);
    }
    const request = context.switchToHttp().getRequest<AppRequest>();
    if (rule === 'instance') return this.instance.canActivate(context) as Promise<boolean>;

    await this.customerOrAdmin.canActivate(context);
    const principal = request.principal as Principal;
    if (principal.kind === 'admin') return true;
    if (rule === 'admin') throw new ForbiddenException('This route is for the admin only');
    const pathCustomerId = (request.params as Record<string, string | undefined>).customer_id;
    // A malformed id goes on to the parameter pipe, which answers 422 at path.customer_id.
    if (isUuid(pathCustomerId) && pathCustomerId.toLowerCase() !== principal.customerId) {
      throw new ForbiddenException('These credentials may not act for this customer');
    }
    return true;
  }
}
