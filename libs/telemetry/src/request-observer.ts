import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayMetrics } from './gateway-metrics';
import { GATEWAY_LOGS } from './telemetry.tokens';
import { TracingService } from './tracing.service';
import type { CreatedLogger } from './logger';
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
    @Inject(GATEWAY_LOGS) private readonly logs: CreatedLogger,
  ) {
    this.logAccess = logs.logger.isLevelEnabled('info');
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
      this.logs.line('request', accessFields(record, req, model, seconds));
    }
  }
}

function requestedModel(body: unknown): string | undefined {
  const model =
    typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model.slice(0, MAX_LOGGED_MODEL) : undefined;
}

/** A JSON string literal; the common case (ids, names, codes) without JSON.stringify. */
function str(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}

const PLAIN = /^[\w .:/@+-]*$/;

/**
 * The access line's members, serialised here: names, numbers and codes only, never a body, a
 * prompt or a key. Absent facts are left out.
 */
function accessFields(
  record: RequestRecord,
  req: ObservedRequest,
  model: string | undefined,
  seconds: number,
): string {
  const url = req.originalUrl ?? req.url ?? '';
  const query = url.indexOf('?');
  const path = (query < 0 ? url : url.slice(0, query)).slice(0, 200);
  const { attempts, usage } = record;
  let line = `"request_id":${str(record.id)},"method":${str(req.method ?? '')},"path":${str(path)},"status":${record.status ?? 0},"route":"${record.route}"`;
  if (record.keyName !== undefined) {
    line += `,"key_name":${str(record.keyName)}`;
  }
  if (model !== undefined) {
    line += `,"model":${str(model)}`;
  }
  if (record.member !== undefined && record.member !== model) {
    line += `,"member":${str(record.member)}`;
  }
  if (record.stream !== undefined) {
    line += `,"stream":${record.stream}`;
  }
  if (record.backend !== undefined) {
    line += `,"backend":${str(record.backend)}`;
  }
  if (attempts.length > 0) {
    if (attempts.length > 1) {
      line += `,"fallbacks":${attempts.length - 1}`;
    }
    line += ',"attempts":[';
    for (let i = 0; i < attempts.length; i++) {
      const a = attempts[i];
      line += `${i > 0 ? ',' : ''}${str(`${a.backend}:${a.outcome}:${Math.round(a.ms)}ms`)}`;
    }
    line += ']';
  }
  if (record.applied.length > 0) {
    line += `,"applied":[${record.applied.map(str).join(',')}]`;
  }
  if (usage !== undefined) {
    line += `,"tokens_in":${usage.input},"tokens_out":${usage.output}`;
  }
  if (record.finishReason !== undefined) {
    line += `,"finish_reason":${str(record.finishReason)}`;
  }
  if (record.ttftMs !== undefined) {
    line += `,"ttft_ms":${Math.round(record.ttftMs * 10) / 10}`;
  }
  line += `,"duration_ms":${Math.round(seconds * 10_000) / 10}`;
  if (record.errorCode !== undefined) {
    line += `,"error_code":${str(record.errorCode)}`;
  }
  if (record.dataPolicy !== undefined) {
    line += `,"data_policy":${str(record.dataPolicy)}`;
  }
  if (record.traceId !== undefined) {
    line += `,"trace_id":"${record.traceId}"`;
  }
  if (record.aborted) {
    line += ',"aborted":true';
  }
  return line;
}
