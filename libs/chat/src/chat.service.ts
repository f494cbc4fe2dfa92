import { Inject, Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Principal } from '@app/auth';
import { CatalogService } from '@app/catalog';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { sendJson, type ChatCompletionRequest } from '@app/contracts';
import { RouterService, type JsonDispatch, type StreamDispatch } from '@app/routing';
import { relaySse } from './sse-relay';

/** Response headers that say how the request was served. */
export const APPLIED_HEADER = 'x-rust-api-applied';
export const BACKEND_HEADER = 'x-gateway-backend';
export const FALLBACKS_HEADER = 'x-gateway-fallbacks';
export const MEMBER_HEADER = 'x-gateway-model';

@Injectable()
export class ChatService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly router: RouterService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Routes the request along its alias's chain and answers on `res` (JSON or SSE). */
  async complete(
    principal: Principal,
    request: ChatCompletionRequest,
    requestId: string,
    res: ServerResponse,
  ): Promise<void> {
    const entry = this.catalog.require(request.model, principal);
    const abort = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) {
        abort.abort();
      }
    };
    res.once('close', onClose);
    const result = await this.router.dispatch(entry, request, { requestId, signal: abort.signal });
    res.off('close', onClose);
    if (res.destroyed) {
      if (result.kind === 'stream') {
        result.upstream.destroy();
      }
      return;
    }
    this.describe(res, result);
    if (result.kind === 'json') {
      sendJson(res, { ...result.body, model: entry.alias });
      return;
    }
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    relaySse(result.upstream, result.head, res, {
      alias: entry.alias,
      idleTimeoutMs: this.config.routing.stream_idle_timeout_ms,
    });
  }

  private describe(res: ServerResponse, result: JsonDispatch | StreamDispatch): void {
    res.setHeader(BACKEND_HEADER, result.hop.backend);
    res.setHeader(MEMBER_HEADER, result.hop.member.alias);
    if (result.fallbacks.length > 0) {
      res.setHeader(FALLBACKS_HEADER, result.fallbacks.join(','));
    }
    if (result.applied.length > 0) {
      res.setHeader(APPLIED_HEADER, result.applied.join(','));
    }
  }
}
