import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './api-key.guard';
import type { Principal } from './authenticate.rule';

/** The authenticated caller of the current request (only on routes that are not public). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal => {
    const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) {
      throw new Error('CurrentPrincipal used on a route without authentication');
    }
    return principal;
  },
);
