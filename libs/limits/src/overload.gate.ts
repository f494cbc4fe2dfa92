import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { ServiceUnavailableError } from '@app/contracts';

/** What `/readyz` details show of the overload caps. */
export interface OverloadSnapshot {
  inflight: number;
  max_inflight_requests: number;
  inflight_body_bytes: number;
  max_inflight_body_bytes: number;
  /** Requests refused with 503 `overloaded` since the start. */
  refused: number;
}

/**
 * Process-wide caps, checked before auth and before any body byte is read: requests in flight
 * (`server.max_inflight_requests`) and request-body bytes held in memory
 * (`server.max_inflight_body_bytes`; a request holds its declared Content-Length, or the body
 * limit when it sends chunks, until its response ends). Past either, 503 `overloaded` with
 * `Retry-After`. One request is always admitted when none holds bytes, whatever its size.
 */
@Injectable()
export class OverloadGate implements NestMiddleware {
  private readonly maxRequests: number;
  private readonly maxBytes: number;
  private readonly bodyLimit: number;
  private inflight = 0;
  private bytes = 0;
  private refused = 0;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.maxRequests = config.server.max_inflight_requests;
    this.maxBytes = config.server.max_inflight_body_bytes;
    this.bodyLimit = config.server.body_limit_bytes;
  }

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    if (this.maxRequests > 0 && this.inflight >= this.maxRequests) {
      this.refuse(next, `${this.maxRequests} requests are in flight`);
      return;
    }
    const size = this.bodySize(req);
    if (this.maxBytes > 0 && this.bytes > 0 && this.bytes + size > this.maxBytes) {
      this.refuse(next, 'request bodies in memory are at their cap');
      return;
    }
    this.inflight++;
    this.bytes += size;
    res.once('close', () => {
      this.inflight--;
      this.bytes -= size;
    });
    next();
  }

  snapshot(): OverloadSnapshot {
    return {
      inflight: this.inflight,
      max_inflight_requests: this.maxRequests,
      inflight_body_bytes: this.bytes,
      max_inflight_body_bytes: this.maxBytes,
      refused: this.refused,
    };
  }

  /** The bytes a request's body may hold: its declared length (bounded by the body limit), else the limit. */
  private bodySize(req: IncomingMessage): number {
    const declared = req.headers['content-length'];
    if (declared !== undefined) {
      const n = Number(declared);
      return Number.isFinite(n) && n >= 0 ? Math.min(n, this.bodyLimit) : this.bodyLimit;
    }
    return req.headers['transfer-encoding'] !== undefined ? this.bodyLimit : 0;
  }

  private refuse(next: (error?: unknown) => void, why: string): void {
    this.refused++;
    next(
      new ServiceUnavailableError(
        'overloaded',
        `The gateway is at capacity (${why}); retry shortly or on another instance.`,
        1,
      ),
    );
  }
}
