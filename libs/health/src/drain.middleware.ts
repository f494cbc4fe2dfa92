import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceUnavailableError } from '@app/contracts';
import { LifecycleService } from './lifecycle.service';

/** Counts in-flight requests; while draining asks clients to reconnect elsewhere, and refuses new work after the delay. */
@Injectable()
export class DrainMiddleware implements NestMiddleware {
  constructor(private readonly lifecycle: LifecycleService) {}

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    if (this.lifecycle.draining) {
      res.setHeader('Connection', 'close');
      if (this.lifecycle.refusingNewRequests && !PROBES.has((req.url ?? '').split('?', 1)[0])) {
        next(
          new ServiceUnavailableError(
            'shutting_down',
            'The gateway is shutting down; retry on another instance.',
            1,
          ),
        );
        return;
      }
    }
    this.lifecycle.requestStarted();
    res.once('close', () => this.lifecycle.requestFinished());
    next();
  }
}

const PROBES = new Set(['/healthz', '/readyz']);
