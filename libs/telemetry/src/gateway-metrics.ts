import { Inject, Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { BackendStatusSource, type BackendStatus, type BackendTransition } from '@app/catalog';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { LiveList, StoreStatus } from '@app/store';
import { FastCounter, FastHistogram } from './fast-metrics';
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
 * filled once per request from its {@link RequestRecord} ({@link observe}) through
 * {@link FastCounter}/{@link FastHistogram}: a few map look-ups and additions, no allocation once
 * a series exists. Gauges are computed when scraped.
 */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly aliases: ReadonlySet<string>;
  private readonly backends: ReadonlySet<string>;
  private readonly keyNames: ReadonlySet<string>;
  private readonly errorCodes = new BoundedLabel(100);
  private readonly outcomes = new BoundedLabel(100);
  private readonly inFlight = new LiveList<RequestRecord>();
  /** Label values of the call being made (reused: a look-up copies nothing). */
  private readonly l2 = ['', ''];
  private readonly l3 = ['', '', ''];
  private readonly l4 = ['', '', '', ''];
  private readonly l5 = ['', '', '', '', ''];

  private readonly tokenUsage: FastHistogram;
  private readonly requestDuration: FastHistogram;
  private readonly timeToFirstToken: FastHistogram;
  private readonly requests: FastCounter;
  private readonly tokens: FastCounter;
  private readonly attempts: FastCounter;
  private readonly fallbacks: FastCounter;
  private readonly adjustments: FastCounter;
  private readonly refusals: FastCounter;
  private readonly aborts: FastCounter;
  private readonly stateChanges: FastCounter;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly status: BackendStatusSource,
    @Optional() store?: StoreStatus,
  ) {
    this.aliases = new Set(config.models.map((m) => m.alias));
    this.backends = new Set(config.backends.map((b) => b.name));
    this.keyNames = new Set([...config.auth.keys.map((k) => k.name), 'anonymous']);
    const registry = this.registry;
    collectDefaultMetrics({ register: registry });
    const genAi = ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_provider_name'];

    this.tokenUsage = new FastHistogram(
      'gen_ai_client_token_usage',
      'Tokens used per request, by type (input, output), as the upstream reported them.',
      [...genAi, 'gen_ai_token_type'],
      TOKEN_BUCKETS,
      registry,
    );
    this.requestDuration = new FastHistogram(
      'gen_ai_server_request_duration_seconds',
      'Time from the request arriving to the end of its response, for requests naming a model.',
      [...genAi, 'error_type'],
      DURATION_BUCKETS,
      registry,
    );
    this.timeToFirstToken = new FastHistogram(
      'gen_ai_server_time_to_first_token_seconds',
      'Time from the request arriving to the first byte of the answer (first SSE event of a stream).',
      genAi,
      TTFT_BUCKETS,
      registry,
    );
    this.requests = new FastCounter(
      'gateway_requests_total',
      'Requests answered, by API route, alias, HTTP status (499: the client left), error code and key name.',
      ['route', 'alias', 'status', 'error_code', 'key_name'],
      registry,
    );
    this.tokens = new FastCounter(
      'gateway_tokens_total',
      'Tokens used, by alias, key name and type (input, output).',
      ['alias', 'key_name', 'type'],
      registry,
    );
    this.attempts = new FastCounter(
      'gateway_upstream_attempts_total',
      'Upstream attempts by backend and outcome (served, refused, status_503, rate_limited, skipped_<bench reason>, …).',
      ['backend', 'outcome'],
      registry,
    );
    this.fallbacks = new FastCounter(
      'gateway_fallbacks_total',
      'Moves from one hop of a chain to the next, by the backend left and the backend tried next.',
      ['from', 'to'],
      registry,
    );
    this.adjustments = new FastCounter(
      'gateway_constraint_adjustments_total',
      'Constraint adjustments applied to served requests, by kind (max_tokens_floored, …).',
      ['kind'],
      registry,
    );
    this.refusals = new FastCounter(
      'gateway_refusals_total',
      'Requests refused with a 4xx error envelope, by error code.',
      ['code'],
      registry,
    );
    this.aborts = new FastCounter(
      'gateway_client_aborts_total',
      'Requests whose client left before the response ended, by API route.',
      ['route'],
      registry,
    );
    this.stateChanges = new FastCounter(
      'gateway_backend_state_changes_total',
      'Backend state changes: a backend (scope backend) or one of its upstream models (scope model) benched, unreachable or back.',
      ['backend', 'scope', 'state'],
      registry,
    );
    const registers = [registry];
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
    record.inFlight = this.inFlight.add(record);
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
    if (record.inFlight) {
      this.inFlight.remove(record.inFlight);
      record.inFlight = undefined;
    }
    const errorCode = record.errorCode === undefined ? '' : this.errorCodes.of(record.errorCode);
    const keyName =
      record.keyName === undefined
        ? ''
        : this.keyNames.has(record.keyName)
          ? record.keyName
          : OTHER_VALUE;
    const status = record.status ?? 0;
    const { l3, l4, l5 } = this;
    l5[0] = record.route;
    l5[1] = aliasLabel;
    l5[2] = statusLabel(status);
    l5[3] = errorCode;
    l5[4] = keyName;
    this.requests.inc(l5);
    if (record.aborted) {
      this.aborts.inc1(record.route);
    } else if (status >= 400 && status < 500 && errorCode !== '') {
      this.refusals.inc1(errorCode);
    }
    this.countAttempts(record);
    for (const applied of record.applied) {
      const eq = applied.indexOf('=');
      this.adjustments.inc1(eq < 0 ? applied : applied.slice(0, eq));
    }
    if (aliasLabel === '') {
      return;
    }
    l4[0] = l3[0] = OPERATION[record.route];
    l4[1] = l3[1] = aliasLabel;
    l4[2] = l3[2] =
      record.backend !== undefined && this.backends.has(record.backend) ? record.backend : '';
    l4[3] = errorCode;
    this.requestDuration.observe(l4, seconds);
    if (record.ttftMs !== undefined && !record.aborted && errorCode === '') {
      this.timeToFirstToken.observe(l3, record.ttftMs / 1000);
    }
    if (record.usage) {
      const { input, output } = record.usage;
      l4[3] = 'input';
      this.tokenUsage.observe(l4, input);
      l4[3] = 'output';
      this.tokenUsage.observe(l4, output);
      l3[0] = aliasLabel;
      l3[1] = keyName;
      l3[2] = 'input';
      this.tokens.inc(l3, input);
      l3[2] = 'output';
      this.tokens.inc(l3, output);
    }
  }

  private countAttempts(record: RequestRecord): void {
    const { attempts } = record;
    const { l2 } = this;
    for (let i = 0; i < attempts.length; i++) {
      const backend = this.backendLabel(attempts[i].backend);
      l2[0] = backend;
      l2[1] = this.outcomes.of(attempts[i].outcome);
      this.attempts.inc(l2);
      const next = attempts[i + 1];
      if (next !== undefined) {
        l2[1] = this.backendLabel(next.backend);
        this.fallbacks.inc(l2);
      }
    }
  }

  private backendLabel(name: string): string {
    return this.backends.has(name) ? name : OTHER_VALUE;
  }

  private transition(t: BackendTransition): void {
    if (this.backends.has(t.backend)) {
      this.stateChanges.inc([t.backend, t.model === undefined ? 'backend' : 'model', t.state]);
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
