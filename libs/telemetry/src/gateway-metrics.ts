import { Inject, Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BackendStatusSource, type BackendStatus, type BackendTransition } from '@app/catalog';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { StoreStatus } from '@app/store';
import type { ApiRoute, RequestRecord } from './request-record';

/** Every state the backend-state gauge reports, one series each (1 for the current one). */
const BACKEND_STATES: readonly BackendStatus[] = [
  'available',
  'benched',
  'unreachable',
  'unknown',
  'not_configured',
];

/** OpenTelemetry GenAI semantic-convention bucket boundaries. */
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

const OPERATION: Record<ApiRoute, string> = {
  chat: 'chat',
  responses: 'chat',
  images: 'generate_content',
  other: 'other',
};

/** Label value of a model name that is not a configured alias. */
export const UNKNOWN_MODEL = 'unknown';
/** Label value past a label's cap of distinct values. */
export const OTHER_VALUE = 'other';

/**
 * Passes the first `limit` distinct values of a free-form label (error codes, attempt outcomes)
 * and folds every later one into `other`, so no input can grow the series without bound.
 */
class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly limit: number) {}

  of(value: string): string {
    if (this.seen.has(value)) {
      return value;
    }
    if (this.seen.size >= this.limit || value.length > 64) {
      return OTHER_VALUE;
    }
    this.seen.add(value);
    return value;
  }
}

/**
 * The label children of `metric`, made once per distinct label values (positional, in the
 * metric's label order) and kept: prom-client hashes a label object on every call otherwise.
 */
function children<T>(metric: { labels(...values: string[]): T }): (...values: string[]) => T {
  const made = new Map<string, T>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = made.get(key);
    if (child === undefined) {
      child = metric.labels(...values);
      made.set(key, child);
    }
    return child;
  };
}

/** What the observer knows of a finished request besides its record. */
export interface RequestEnd {
  record: RequestRecord;
  /** The configured alias (or `unknown`) for metrics; empty when the request named no model. */
  aliasLabel: string;
  /** Seconds from arrival to the end of the response. */
  seconds: number;
}

/**
 * The gateway's Prometheus registry: OpenTelemetry GenAI metrics as Prometheus exports them, the
 * gateway's own counters and gauges, and Node's process metrics. Every label value comes from
 * configuration (aliases, backends, key names) or a bounded set; a key is never a label. All is
 * filled once per request from its {@link RequestRecord} ({@link observe}); label children are
 * kept, so a request costs a few map look-ups and increments.
 */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly aliases: ReadonlySet<string>;
  private readonly backends: ReadonlySet<string>;
  private readonly keyNames: ReadonlySet<string>;
  private readonly errorCodes = new BoundedLabel(100);
  private readonly outcomes = new BoundedLabel(100);
  private readonly inFlight = new Set<RequestRecord>();

  private readonly tokenUsage: (...v: string[]) => Histogram.Internal<string>;
  private readonly requestDuration: (...v: string[]) => Histogram.Internal<string>;
  private readonly timeToFirstToken: (...v: string[]) => Histogram.Internal<string>;
  private readonly requests: (...v: string[]) => Counter.Internal;
  private readonly tokens: (...v: string[]) => Counter.Internal;
  private readonly attempts: (...v: string[]) => Counter.Internal;
  private readonly fallbacks: (...v: string[]) => Counter.Internal;
  private readonly adjustments: (...v: string[]) => Counter.Internal;
  private readonly refusals: (...v: string[]) => Counter.Internal;
  private readonly aborts: (...v: string[]) => Counter.Internal;
  private readonly stateChanges: (...v: string[]) => Counter.Internal;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly status: BackendStatusSource,
    @Optional() store?: StoreStatus,
  ) {
    this.aliases = new Set(config.models.map((m) => m.alias));
    this.backends = new Set(config.backends.map((b) => b.name));
    this.keyNames = new Set([...config.auth.keys.map((k) => k.name), 'anonymous']);
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.tokenUsage = children(
      new Histogram({
        name: 'gen_ai_client_token_usage',
        help: 'Tokens used per request, by type (input, output), as the upstream reported them.',
        labelNames: [
          'gen_ai_operation_name',
          'gen_ai_request_model',
          'gen_ai_provider_name',
          'gen_ai_token_type',
        ],
        buckets: TOKEN_BUCKETS,
        registers,
      }),
    );
    this.requestDuration = children(
      new Histogram({
        name: 'gen_ai_server_request_duration_seconds',
        help: 'Time from the request arriving to the end of its response, for requests naming a model.',
        labelNames: [
          'gen_ai_operation_name',
          'gen_ai_request_model',
          'gen_ai_provider_name',
          'error_type',
        ],
        buckets: DURATION_BUCKETS,
        registers,
      }),
    );
    this.timeToFirstToken = children(
      new Histogram({
        name: 'gen_ai_server_time_to_first_token_seconds',
        help: 'Time from the request arriving to the first byte of the answer (first SSE event of a stream).',
        labelNames: ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_provider_name'],
        buckets: TTFT_BUCKETS,
        registers,
      }),
    );
    this.requests = children(
      new Counter({
        name: 'gateway_requests_total',
        help: 'Requests answered, by API route, alias, HTTP status (499: the client left), error code and key name.',
        labelNames: ['route', 'alias', 'status', 'error_code', 'key_name'],
        registers,
      }),
    );
    this.tokens = children(
      new Counter({
        name: 'gateway_tokens_total',
        help: 'Tokens used, by alias, key name and type (input, output).',
        labelNames: ['alias', 'key_name', 'type'],
        registers,
      }),
    );
    this.attempts = children(
      new Counter({
        name: 'gateway_upstream_attempts_total',
        help: 'Upstream attempts by backend and outcome (served, refused, status_503, rate_limited, skipped_<bench reason>, …).',
        labelNames: ['backend', 'outcome'],
        registers,
      }),
    );
    this.fallbacks = children(
      new Counter({
        name: 'gateway_fallbacks_total',
        help: 'Moves from one hop of a chain to the next, by the backend left and the backend tried next.',
        labelNames: ['from', 'to'],
        registers,
      }),
    );
    this.adjustments = children(
      new Counter({
        name: 'gateway_constraint_adjustments_total',
        help: 'Constraint adjustments applied to served requests, by kind (max_tokens_floored, …).',
        labelNames: ['kind'],
        registers,
      }),
    );
    this.refusals = children(
      new Counter({
        name: 'gateway_refusals_total',
        help: 'Requests refused with a 4xx error envelope, by error code.',
        labelNames: ['code'],
        registers,
      }),
    );
    this.aborts = children(
      new Counter({
        name: 'gateway_client_aborts_total',
        help: 'Requests whose client left before the response ended, by API route.',
        labelNames: ['route'],
        registers,
      }),
    );
    this.stateChanges = children(
      new Counter({
        name: 'gateway_backend_state_changes_total',
        help: 'Backend state changes: a backend (scope backend) or one of its upstream models (scope model) benched, unreachable or back.',
        labelNames: ['backend', 'scope', 'state'],
        registers,
      }),
    );
    const inFlight = this.inFlight;
    new Gauge({
      name: 'gateway_in_flight_requests',
      help: 'Requests being served now.',
      registers,
      collect() {
        this.set(inFlight.size);
      },
    });
    new Gauge({
      name: 'gateway_in_flight_streams',
      help: 'SSE streams being relayed now.',
      registers,
      collect() {
        let streams = 0;
        for (const record of inFlight) {
          if (record.stream === true && record.backend !== undefined) {
            streams++;
          }
        }
        this.set(streams);
      },
    });
    const backendNames = config.backends.map((b) => b.name);
    const source = this.status;
    new Gauge({
      name: 'gateway_backend_state',
      help: 'Backend state as /readyz shows it: 1 for the current state, 0 for the others.',
      labelNames: ['backend', 'state'],
      registers,
      collect() {
        for (const backend of backendNames) {
          const current = source.statusOf(backend);
          for (const state of BACKEND_STATES) {
            this.set({ backend, state }, state === current ? 1 : 0);
          }
        }
      },
    });
    if (store) {
      this.storeGauges(store);
    }
    this.status.onTransition((t) => this.transition(t));
  }

  /** Where limits and circuits live, and the Redis outages and fallbacks so far (libs/store). */
  private storeGauges(store: StoreStatus): void {
    const registers = [this.registry];
    new Gauge({
      name: 'gateway_state_store_redis_up',
      help: 'With REDIS_URL: 1 while Redis is reachable (state shared by every replica), 0 during an outage.',
      registers,
      collect() {
        const snapshot = store.snapshot();
        if (snapshot.mode === 'redis') {
          this.set(snapshot.redis === 'connected' ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'gateway_state_store_redis_outages',
      help: 'Redis outages since the process started (each logged once).',
      registers,
      collect() {
        const snapshot = store.snapshot();
        this.set(snapshot.mode === 'redis' ? snapshot.outages : 0);
      },
    });
    new Gauge({
      name: 'gateway_state_store_fallbacks',
      help: 'Limit and circuit operations served from local memory while Redis was out.',
      registers,
      collect() {
        const snapshot = store.snapshot();
        this.set(snapshot.mode === 'redis' ? snapshot.fallbacks : 0);
      },
    });
  }

  /** A request arrived (counted in flight until {@link observe}). */
  begin(record: RequestRecord): void {
    this.inFlight.add(record);
  }

  /** The configured alias named by `model`, `unknown` for any other name, empty for none. */
  aliasLabel(model: string | undefined): string {
    if (model === undefined) {
      return '';
    }
    return this.aliases.has(model) ? model : UNKNOWN_MODEL;
  }

  /** Counts a finished request: every metric but the in-flight gauges is filled here. */
  observe({ record, aliasLabel, seconds }: RequestEnd): void {
    this.inFlight.delete(record);
    const errorCode = record.errorCode === undefined ? '' : this.errorCodes.of(record.errorCode);
    const keyName =
      record.keyName === undefined
        ? ''
        : this.keyNames.has(record.keyName)
          ? record.keyName
          : OTHER_VALUE;
    const status = record.status ?? 0;
    this.requests(record.route, aliasLabel, statusLabel(status), errorCode, keyName).inc();
    if (record.aborted) {
      this.aborts(record.route).inc();
    } else if (status >= 400 && status < 500 && errorCode !== '') {
      this.refusals(errorCode).inc();
    }
    this.countAttempts(record);
    for (const applied of record.applied) {
      const eq = applied.indexOf('=');
      this.adjustments(eq < 0 ? applied : applied.slice(0, eq)).inc();
    }
    if (aliasLabel === '') {
      return;
    }
    const operation = OPERATION[record.route];
    const provider =
      record.backend !== undefined && this.backends.has(record.backend) ? record.backend : '';
    this.requestDuration(operation, aliasLabel, provider, errorCode).observe(seconds);
    if (record.ttftMs !== undefined && !record.aborted && errorCode === '') {
      this.timeToFirstToken(operation, aliasLabel, provider).observe(record.ttftMs / 1000);
    }
    if (record.usage) {
      const { input, output } = record.usage;
      this.tokenUsage(operation, aliasLabel, provider, 'input').observe(input);
      this.tokenUsage(operation, aliasLabel, provider, 'output').observe(output);
      this.tokens(aliasLabel, keyName, 'input').inc(input);
      this.tokens(aliasLabel, keyName, 'output').inc(output);
    }
  }

  private countAttempts(record: RequestRecord): void {
    const { attempts } = record;
    for (let i = 0; i < attempts.length; i++) {
      const backend = this.backendLabel(attempts[i].backend);
      this.attempts(backend, this.outcomes.of(attempts[i].outcome)).inc();
      const next = attempts[i + 1];
      if (next !== undefined) {
        this.fallbacks(backend, this.backendLabel(next.backend)).inc();
      }
    }
  }

  private backendLabel(name: string): string {
    return this.backends.has(name) ? name : OTHER_VALUE;
  }

  private transition(t: BackendTransition): void {
    if (this.backends.has(t.backend)) {
      this.stateChanges(t.backend, t.model === undefined ? 'backend' : 'model', t.state).inc();
    }
  }
}

const STATUS_LABELS = new Map<number, string>();

function statusLabel(status: number): string {
  let label = STATUS_LABELS.get(status);
  if (label === undefined) {
    label = String(status);
    STATUS_LABELS.set(status, label);
  }
  return label;
}
