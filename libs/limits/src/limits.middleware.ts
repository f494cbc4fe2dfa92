import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, NestMiddleware } from '@nestjs/common';
import type { AuthenticatedRequest } from '@app/auth';
import { LimitsService } from './limits.service';

/** The key's request rate and concurrency, after auth and before the body is read. */
@Injectable()
export class LimitsMiddleware implements NestMiddleware {
  constructor(private readonly limits: LimitsService) {}

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): unknown {
    const principal = (req as AuthenticatedRequest).principal;
    const pending = principal?.limits ? this.limits.admitKey(principal, res) : undefined;
    if (pending) {
      return pending.then(() => next());
    }
    next();
    return undefined;
  }
}
