import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayMetrics } from './gateway-metrics';
import { GATEWAY_LOGGER } from './telemetry.tokens';
import { TracingService } from './tracing.service';
import type { GatewayLogger } from './logger';
import type { RequestRecord } from './request-record';

/** What the observer reads off a request besides its record. */
export type ObservedRequest = IncomingMessage & {
  originalUrl?: string;
  principal?: { keyName: string };
  body?: unknown;
};

const MAX_LOGGED_MODEL = 100;

/**
 * The one place a finished request is reported: its {@link RequestRecord} becomes one JSON access
 * line, the metrics and (when tracing is on) its spans. Runs once per request, on the response's
 * `close`; a response that did not finish means the client left: status 499, `aborted: true`.
 */
@Injectable()
export class RequestObserver {
  private readonly logAccess: boolean;

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly tracing: TracingService,
    @Inject(GATEWAY_LOGGER) private readonly logger: GatewayLogger,
  ) {
    this.logAccess = logger.isLevelEnabled('info');
  }

  /** A request arrived. */
  begin(record: RequestRecord, req: IncomingMessage): void {
    this.metrics.begin(record);
    this.tracing.begin(record, req.headers);
  }

  /**
   * Its response closed: report it. A response cut short is reported a turn later, once the
   * stages that watch the same close (the relay, the fallback loop) have written down their part.
   */
  end(record: RequestRecord, req: ObservedRequest, res: ServerResponse): void {
    const seconds = (performance.now() - record.startedAt) / 1000;
    if (res.writableFinished) {
      record.status = res.statusCode;
      this.report(record, req, seconds);
    } else {
      record.status = 499;
      record.aborted = true;
      setImmediate(() => {
        record.errorCode ??= 'client_closed_request';
        this.report(record, req, seconds);
      });
    }
  }

  private report(record: RequestRecord, req: ObservedRequest, seconds: number): void {
    record.keyName ??= req.principal?.keyName;
    // A request refused before routing still names the model it asked for.
    const model = record.alias ?? requestedModel(req.body);
    this.metrics.observe({ record, aliasLabel: this.metrics.aliasLabel(model), seconds });
    this.tracing.end(record, req.method, seconds);
    if (this.logAccess) {
      this.logger.info(accessLine(record, req, model, seconds), 'request');
    }
  }
}

function requestedModel(body: unknown): string | undefined {
  const model =
    typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model.slice(0, MAX_LOGGED_MODEL) : undefined;
}

/** The access line's fields: names, numbers and codes only, never a body, a prompt or a key. */
function accessLine(
  record: RequestRecord,
  req: ObservedRequest,
  model: string | undefined,
  seconds: number,
): Record<string, unknown> {
  const url = req.originalUrl ?? req.url ?? '';
  const query = url.indexOf('?');
  const { attempts, usage } = record;
  return {
    request_id: record.id,
    method: req.method,
    path: (query < 0 ? url : url.slice(0, query)).slice(0, 200),
    status: record.status,
    route: record.route,
    key_name: record.keyName,
    model,
    member: record.member !== model ? record.member : undefined,
    stream: record.stream,
    backend: record.backend,
    fallbacks: attempts.length > 1 ? attempts.length - 1 : undefined,
    attempts:
      attempts.length > 0
        ? attempts.map((a) => `${a.backend}:${a.outcome}:${Math.round(a.ms)}ms`)
        : undefined,
    applied: record.applied.length > 0 ? record.applied : undefined,
    tokens_in: usage?.input,
    tokens_out: usage?.output,
    finish_reason: record.finishReason,
    ttft_ms: record.ttftMs === undefined ? undefined : Math.round(record.ttftMs * 10) / 10,
    duration_ms: Math.round(seconds * 10_000) / 10,
    error_code: record.errorCode,
    data_policy: record.dataPolicy,
    trace_id: record.traceId,
    aborted: record.aborted,
  };
}
