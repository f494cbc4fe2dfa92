import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';

type LoggedRequest = IncomingMessage & { id?: string; principal?: { keyName: string } };

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

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    if (this.enabled) {
      const started = performance.now();
      res.once('close', () => this.record(req, res, started));
    }
    next();
  }

  private record(req: LoggedRequest, res: ServerResponse, started: number): void {
    const entry = {
      t: new Date().toISOString(),
      msg: 'request',
      id: req.id,
      method: req.method,
      path: (req.url ?? '').split('?', 1)[0].slice(0, 200),
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
