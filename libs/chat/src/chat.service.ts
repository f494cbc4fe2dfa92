import { Inject, Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { CatalogService } from '@app/catalog';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { GatewayError, sendJson, type ChatCompletionRequest } from '@app/contracts';
import { LifecycleService } from '@app/health';
import { LimitsService } from '@app/limits';
import {
  BackendHealthService,
  Cancellation,
  RouterService,
  type JsonDispatch,
  type StreamDispatch,
} from '@app/routing';
import type { RequestRecord } from '@app/telemetry';
import { DATA_POLICY_HEADER, type ChatCall } from './chat-call';
import { relaySse, type RelayOutcome, type SseTranslator } from './sse-relay';

/** Response headers that say how the request was served. */
export const APPLIED_HEADER = 'x-rust-api-applied';
export const BACKEND_HEADER = 'x-gateway-backend';
export const FALLBACKS_HEADER = 'x-gateway-fallbacks';
export const MEMBER_HEADER = 'x-gateway-model';
export const SKIPPED_HEADER = 'x-gateway-skipped';

/**
 * How a route that is not chat (the Responses API, the Images API) answers from the same routing:
 * its own JSON body, its own stream events, its own names for refused fields. Chat has none and
 * keeps its byte pass-through.
 */
export interface ChatRenderer {
  /** The client's body for the upstream's chat completion; may throw a {@link GatewayError}. */
  json(body: Record<string, unknown>, alias: string): unknown;
  /** The translator of a streamed answer. */
  stream(alias: string): SseTranslator;
  /** A refusal named the way the client wrote its request (`messages[1]` → `input[0]`). */
  error(error: GatewayError): GatewayError;
}

@Injectable()
export class ChatService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly router: RouterService,
    private readonly health: BackendHealthService,
    private readonly lifecycle: LifecycleService,
    private readonly limits: LimitsService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /**
   * Routes the request along its alias's chain and answers on `res` (JSON or SSE). The client
   * leaving at any point cancels the upstream call; `record` collects what telemetry reports.
   */
  async complete(
    call: ChatCall,
    request: ChatCompletionRequest,
    res: ServerResponse,
    renderer?: ChatRenderer,
  ): Promise<void> {
    const { principal, requestId, record, dataPolicy } = call;
    const entry = this.catalog.require(request.model, principal);
    if (principal.limits) {
      const admitting = this.limits.admitModel(principal, entry.alias, request, res);
      if (admitting) {
        await admitting;
      }
    }
    if (record) {
      record.alias = entry.alias;
      record.stream = request.stream === true;
      record.dataPolicy = dataPolicy;
    }
    if (dataPolicy === 'local_only') {
      res.setHeader(DATA_POLICY_HEADER, 'local-only');
    }
    const abort = new Cancellation();
    const onClose = (): void => {
      if (!res.writableFinished) {
        abort.cancel();
      }
    };
    res.once('close', onClose);
    let result: JsonDispatch | StreamDispatch;
    try {
      result = await this.router.dispatch(entry, request, {
        requestId,
        signal: abort,
        record,
        dataPolicy,
      });
    } catch (err) {
      throw renderer && err instanceof GatewayError ? renderer.error(err) : err;
    } finally {
      res.off('close', onClose);
    }
    if (record) {
      record.backend = result.hop.backend;
      record.member = result.hop.member.alias;
      record.applied = result.applied;
    }
    if (res.destroyed) {
      if (result.kind === 'stream') {
        result.events.cancel();
      }
      return;
    }
    this.describe(res, result);
    if (result.kind === 'json') {
      if (record) {
        recordJson(record, result.body);
      }
      sendJson(
        res,
        renderer
          ? renderer.json(result.body, entry.alias)
          : Object.assign({}, result.body, { model: entry.alias }),
      );
      return;
    }
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-accel-buffering', 'no');
    const backend = result.hop.backend;
    relaySse(result.events, res, {
      alias: entry.alias,
      stallTimeoutMs: this.config.routing.stream_idle_timeout_ms,
      usageAdded: result.usageAdded,
      translator: renderer?.stream(entry.alias),
      stop: this.lifecycle.closing,
      onEnd: (outcome) => {
        if (outcome.completed) {
          this.health.recordSuccess(backend);
        } else if (outcome.failure?.blame === 'upstream') {
          // A stream that fails after its first event is the backend's failure all the same.
          this.health.recordFailure(backend, false);
        }
        if (record) {
          recordStream(record, outcome);
        }
      },
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
    if (result.skipped.length > 0) {
      res.setHeader(
        SKIPPED_HEADER,
        result.skipped.map((s) => `${s.backend}=${s.reason}`).join(','),
      );
    }
  }
}

function recordJson(record: RequestRecord, body: Record<string, unknown>): void {
  record.ttftMs = performance.now() - record.startedAt;
  const usage = body.usage as Record<string, unknown> | undefined;
  if (usage && typeof usage === 'object') {
    record.usage = { input: count(usage.prompt_tokens), output: count(usage.completion_tokens) };
  }
  const choices = body.choices;
  const reason: unknown = Array.isArray(choices)
    ? (choices[0] as Record<string, unknown> | undefined)?.finish_reason
    : undefined;
  if (typeof reason === 'string') {
    record.finishReason = reason;
  }
}

function recordStream(record: RequestRecord, outcome: RelayOutcome): void {
  record.usage = outcome.usage;
  record.finishReason = outcome.finishReason;
  if (outcome.firstWriteAt !== undefined) {
    record.ttftMs = outcome.firstWriteAt - record.startedAt;
  }
  if (outcome.failure) {
    record.errorCode = outcome.failure.code;
  }
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}
