import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { AuthenticationError } from '@app/contracts';
import { authenticate, type Principal } from './authenticate.rule';
import { IS_PUBLIC } from './public.decorator';

const ANONYMOUS: Principal = { keyName: 'anonymous' };

export interface AuthenticatedRequest extends Request {
  principal: Principal;
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (
      this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
        context.getHandler(),
        context.getClass(),
      ])
    ) {
      return true;
    }
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (this.config.auth.insecure) {
      req.principal = ANONYMOUS;
      return true;
    }
    const outcome = authenticate(req.rawHeaders, this.config.auth.keys);
    if (!outcome.ok) {
      throw new AuthenticationError(outcome.code);
    }
    req.principal = outcome.principal;
    return true;
  }
}
