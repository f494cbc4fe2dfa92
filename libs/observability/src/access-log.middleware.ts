import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import type { IdentifiedRequest } from './request-id.middleware';

/**
 * One JSON line per request: method, path, status, duration, request id, key name, model and backend.
 * Never bodies, prompts or keys. Lines are batched and written once per event-loop turn, so logging
 * never blocks the request path (stdout pipes are synchronous on Linux).
 */
@Injectable()
export class AccessLogMiddleware implements NestMiddleware {
  private buffer: string[] = [];
  private readonly enabled: boolean;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.enabled = config.logLevel !== 'error' && config.logLevel !== 'warn';
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (this.enabled) {
      const started = performance.now();
      res.once('close', () =>
        this.record(req as IdentifiedRequest & { principal?: { keyName: string } }, res, started),
      );
    }
    next();
  }

  private record(
    req: IdentifiedRequest & { principal?: { keyName: string } },
    res: Response,
    started: number,
  ): void {
    const entry = {
      t: new Date().toISOString(),
      msg: 'request',
      id: req.id,
      method: req.method,
      path: req.path.slice(0, 200),
      status: res.statusCode,
      ms: Math.round((performance.now() - started) * 10) / 10,
      key: req.principal?.keyName,
      model: res.getHeader('x-gateway-model') ?? undefined,
      backend: res.getHeader('x-gateway-backend') ?? undefined,
      fallbacks: res.getHeader('x-gateway-fallbacks') ?? undefined,
      aborted: res.writableFinished ? undefined : true,
    };
    if (this.buffer.push(JSON.stringify(entry)) === 1) {
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    const lines = this.buffer;
    this.buffer = [];
    process.stdout.write(lines.join('\n') + '\n');
  }
}
