import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@keyward/shared';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../common/app.exception.js';
import type { AuthUser } from './auth-user.js';

const ROLES_KEY = 'keyward:roles';

/** Restricts a route to users holding one of these roles (runs after the JWT guard). */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles?.length) return true;
    const user = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>().user;
    if (user && roles.includes(user.role)) return true;
    throw new AppException(403, 'forbidden', `This route needs the ${roles.join(' or ')} role`);
  }
}
