import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace as traceApi,
  type Attributes,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type IdGenerator,
} from '@opentelemetry/sdk-trace-base';
import { GATEWAY_CONFIG, type GatewayConfig, type TracingConfig } from '@app/config';
import type { AttemptRecord, RequestRecord } from './request-record';
import {
  parseTraceparent,
  randomSpanId,
  randomTraceId,
  tracestateOf,
  type TraceParent,
} from './trace-context';

/**
 * Ids decided before the span exists: the trace id at arrival (it is in the access line) and each
 * attempt's span id when it was sent upstream. Spans are built when the request ends, so the
 * tracer takes these instead of drawing new ones.
 */
class ChosenIds implements IdGenerator {
  traceId = '';
  spanId = '';

  generateTraceId(): string {
    return this.traceId;
  }

  generateSpanId(): string {
    return this.spanId;
  }
}

const OPERATION: Record<RequestRecord['route'], string> = {
  chat: 'chat',
  responses: 'chat',
  images: 'generate_content',
  other: 'other',
};

const ROUTE_PATH: Partial<Record<RequestRecord['route'], string>> = {
  chat: '/v1/chat/completions',
  responses: '/v1/responses',
  images: '/v1/images/generations',
};

/**
 * OpenTelemetry tracing over OTLP/HTTP, on only when the `OTEL_*` variables ask for it (see
 * `tracingFromEnv`). With tracing off a request costs one header look-up: a client's valid
 * `traceparent`/`tracestate` are forwarded upstream unchanged. With it on, a request gets a trace
 * (the client's, continued, or a new one) and the sampler's decision at arrival; at the end its
 * {@link RequestRecord} becomes a server span and one client span per upstream attempt, with the
 * GenAI attributes. No context manager or async hook is installed: nothing runs in between.
 */
@Injectable()
export class TracingService implements OnApplicationShutdown {
  private readonly provider?: BasicTracerProvider;
  private readonly tracer?: Tracer;
  private readonly ids = new ChosenIds();
  private readonly config?: TracingConfig;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.config = config.tracing;
    if (!this.config) {
      return;
    }
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes(
        Object.assign({}, this.config.resourceAttributes, {
          'service.name': this.config.serviceName,
        }),
      ),
      idGenerator: this.ids,
      sampler: new AlwaysOnSampler(),
      spanProcessors: [
        new BatchSpanProcessor(
          new OTLPTraceExporter({ url: this.config.url, headers: this.config.headers }),
        ),
      ],
    });
    this.tracer = this.provider.getTracer('dgx-llm-chat-gateway');
  }

  /** Whether spans are exported. */
  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /** Gives an arriving request its trace context (and the access line its trace id). */
  begin(record: RequestRecord, headers: IncomingHttpHeaders): void {
    const header = headers.traceparent;
    if (!this.config) {
      if (header === undefined) {
        return;
      }
      const parent = parseTraceparent(header);
      if (parent) {
        const tracestate = tracestateOf(headers.tracestate);
        record.traceId = parent.traceId;
        record.trace = {
          traceId: parent.traceId,
          sampled: parent.sampled,
          forward:
            tracestate === undefined
              ? { traceparent: header as string }
              : { traceparent: header as string, tracestate },
        };
      }
      return;
    }
    const parent = header === undefined ? undefined : parseTraceparent(header);
    const traceId = parent?.traceId ?? randomTraceId();
    const tracestate = parent ? tracestateOf(headers.tracestate) : undefined;
    record.traceId = traceId;
    record.trace = {
      traceId,
      spanId: randomSpanId(),
      sampled: this.sample(parent, traceId),
      ...(parent && { parentSpanId: parent.spanId }),
      ...(tracestate !== undefined && { tracestate }),
    };
  }

  /** Turns a finished, sampled request into its spans. */
  end(record: RequestRecord, method: string | undefined, seconds: number): void {
    const trace = record.trace;
    if (!this.tracer || !trace?.spanId || !trace.sampled) {
      return;
    }
    const start = performance.timeOrigin + record.startedAt;
    const end = start + seconds * 1000;
    const parent: Context = trace.parentSpanId
      ? traceApi.setSpanContext(ROOT_CONTEXT, {
          traceId: trace.traceId,
          spanId: trace.parentSpanId,
          traceFlags: 1,
          isRemote: true,
        })
      : ROOT_CONTEXT;
    this.ids.traceId = trace.traceId;
    this.ids.spanId = trace.spanId;
    const path = ROUTE_PATH[record.route];
    const server = this.tracer.startSpan(
      path ? `${method ?? 'POST'} ${path}` : (method ?? 'HTTP'),
      { kind: SpanKind.SERVER, startTime: start, attributes: serverAttributes(record, method) },
      parent,
    );
    const failed =
      (record.status ?? 0) >= 500 || (record.errorCode !== undefined && (record.status ?? 0) < 400);
    if (failed) {
      server.setStatus({ code: SpanStatusCode.ERROR, message: record.errorCode });
    }
    const inServer = traceApi.setSpan(ROOT_CONTEXT, server);
    const { attempts } = record;
    for (let i = 0; i < attempts.length; i++) {
      const attempt = attempts[i];
      if (attempt.spanId === undefined || attempt.startedAt === undefined) {
        server.addEvent(
          'gateway.hop_skipped',
          { 'gen_ai.provider.name': attempt.backend, 'gateway.reason': attempt.outcome },
          start,
        );
        continue;
      }
      this.attemptSpan(record, attempt, attempts[i - 1], inServer, end);
    }
    server.end(end);
  }

  /** Exports what is buffered now (tests; shutdown does it too). */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.provider?.shutdown();
  }

  private attemptSpan(
    record: RequestRecord,
    attempt: AttemptRecord,
    previous: AttemptRecord | undefined,
    parent: Context,
    requestEnd: number,
  ): void {
    const served = attempt.outcome === 'served';
    const start = performance.timeOrigin + (attempt.startedAt ?? record.startedAt);
    // A served stream's call lasts until the relay ends, not until its first event.
    const end =
      served && record.stream === true ? requestEnd : Math.min(start + attempt.ms, requestEnd);
    const attributes: Attributes = {
      'gen_ai.operation.name': OPERATION[record.route],
      'gen_ai.request.model': record.alias,
      'gen_ai.provider.name': attempt.backend,
      'gen_ai.response.model': attempt.model,
      'gateway.attempt.outcome': attempt.outcome,
    };
    if (previous !== undefined) {
      attributes['gateway.fallback'] = true;
      attributes['gateway.fallback.from'] = previous.backend;
    }
    if (served) {
      addUsage(attributes, record);
    } else {
      attributes['error.type'] = attempt.outcome;
    }
    this.ids.traceId = record.trace?.traceId ?? '';
    this.ids.spanId = attempt.spanId ?? '';
    const span = this.tracer!.startSpan(
      `${OPERATION[record.route]} ${record.alias ?? attempt.model}`,
      { kind: SpanKind.CLIENT, startTime: start, attributes },
      parent,
    );
    if (!served) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: attempt.outcome });
    }
    span.end(end);
  }

  /** The sampler's decision for a new request (W3C: a parent-based sampler follows the client). */
  private sample(parent: TraceParent | undefined, traceId: string): boolean {
    const { sampler, ratio } = this.config!;
    if (parent !== undefined && sampler.startsWith('parentbased_')) {
      return parent.sampled;
    }
    if (sampler.endsWith('always_on')) {
      return true;
    }
    if (sampler.endsWith('always_off')) {
      return false;
    }
    // traceidratio: the trace id's last 8 hex digits as a fraction.
    return parseInt(traceId.slice(-8), 16) / 0x100000000 < ratio;
  }
}

function serverAttributes(record: RequestRecord, method: string | undefined): Attributes {
  const attributes: Attributes = {
    'http.request.method': method,
    'http.response.status_code': record.status,
    'gateway.request_id': record.id,
    'gateway.route': record.route,
  };
  const path = ROUTE_PATH[record.route];
  if (path) {
    attributes['http.route'] = path;
  }
  if (record.alias !== undefined) {
    attributes['gen_ai.operation.name'] = OPERATION[record.route];
    attributes['gen_ai.request.model'] = record.alias;
  }
  if (record.backend !== undefined) {
    attributes['gen_ai.provider.name'] = record.backend;
  }
  if (record.keyName !== undefined) {
    attributes['gateway.key_name'] = record.keyName;
  }
  if (record.stream !== undefined) {
    attributes['gateway.stream'] = record.stream;
  }
  const tried = record.attempts.length;
  if (tried > 1) {
    attributes['gateway.fallbacks'] = tried - 1;
    attributes['gateway.fallback.backends'] = record.attempts.slice(0, -1).map((a) => a.backend);
  }
  if (record.applied.length > 0) {
    attributes['gateway.applied'] = record.applied;
  }
  if (record.ttftMs !== undefined) {
    attributes['gateway.ttft_ms'] = Math.round(record.ttftMs * 10) / 10;
  }
  if (record.errorCode !== undefined) {
    attributes['error.type'] = record.errorCode;
  }
  if (record.aborted) {
    attributes['gateway.client_aborted'] = true;
  }
  if (record.dataPolicy !== undefined) {
    attributes['gateway.data_policy'] = record.dataPolicy;
  }
  addUsage(attributes, record);
  return attributes;
}

function addUsage(attributes: Attributes, record: RequestRecord): void {
  if (record.usage) {
    attributes['gen_ai.usage.input_tokens'] = record.usage.input;
    attributes['gen_ai.usage.output_tokens'] = record.usage.output;
  }
  if (record.finishReason !== undefined) {
    attributes['gen_ai.response.finish_reasons'] = [record.finishReason];
  }
}
