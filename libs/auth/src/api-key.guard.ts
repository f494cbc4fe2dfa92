import { CanActivate, ExecutionContext, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { AuthenticationError } from '@app/contracts';
import { authenticate, KeyRing, type Principal } from './authenticate.rule';
import { IS_PUBLIC } from './public.decorator';

const ANONYMOUS: Principal = { keyName: 'anonymous' };

export interface AuthenticatedRequest extends IncomingMessage {
  principal?: Principal;
}

/** The keys to check, or none when auth is off (`insecure`: every caller is anonymous). */
function keyRingOf(config: GatewayConfig): KeyRing | undefined {
  return config.auth.insecure ? undefined : new KeyRing(config.auth.keys);
}

/** The caller of a request, or an AuthenticationError (401 with `WWW-Authenticate: Bearer`). */
function identify(req: AuthenticatedRequest, keys: KeyRing | undefined): Principal {
  if (!keys) {
    return ANONYMOUS;
  }
  const outcome = authenticate(req.rawHeaders, keys);
  if (!outcome.ok) {
    throw new AuthenticationError(outcome.code);
  }
  return outcome.principal;
}

/**
 * Authenticates every `/v1` request before anything else touches it, so a caller without a valid
 * key cannot make the gateway read (up to 20 MiB of) a body.
 */
@Injectable()
export class ApiKeyMiddleware implements NestMiddleware {
  private readonly keys: KeyRing | undefined;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.keys = keyRingOf(config);
  }

  use(req: AuthenticatedRequest, _res: unknown, next: () => void): void {
    req.principal = identify(req, this.keys);
    next();
  }
}

/** Bearer auth on every route not marked {@link Public}, wherever the middleware did not run. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: KeyRing | undefined;

  constructor(
    private readonly reflector: Reflector,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.keys = keyRingOf(config);
  }

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!isPublic && !req.principal) {
      req.principal = identify(req, this.keys);
    }
    return true;
  }
}
