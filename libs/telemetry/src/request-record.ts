import type { LiveEntry } from '@app/store';
import type { RequestTrace } from './trace-context';

/** Which public API a request came in through. */
export type ApiRoute = 'chat' | 'responses' | 'images' | 'other';

/** One upstream call made for a request. */
export interface AttemptRecord {
  backend: string;
  /** Upstream model id sent to the backend. */
  model: string;
  /** `served`, or why the fallback loop moved on / stopped (e.g. `status_503`, `rate_limited`, `first_event_timeout`). */
  outcome: string;
  /** Milliseconds from sending to the decision. */
  ms: number;
  /** `performance.now()` when the attempt started. */
  startedAt?: number;
  /** The attempt's client span (tracing on and sampled), sent upstream as the `traceparent` parent. */
  spanId?: string;
}

/**
 * The lifecycle of one request, filled in by the stages it passes through and read once, at the
 * end, by the telemetry observer (access log line, metrics, span attributes). Holds no prompt,
 * completion or key: only names, numbers and codes.
 */
export interface RequestRecord {
  /** The request id (`x-request-id`). */
  readonly id: string;
  route: ApiRoute;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
  /** The client key's configured name (never the key). */
  keyName?: string;
  /** The alias the client asked for. */
  alias?: string;
  stream?: boolean;
  /** Upstream calls in order; the last one with outcome `served` is the one that answered. */
  attempts: AttemptRecord[];
  /** Backend and member alias that served. */
  backend?: string;
  member?: string;
  /** Constraint adjustments applied (`max_tokens_floored=200`, …). */
  applied: string[];
  /** HTTP status sent (499 when the client left before the response ended). */
  status?: number;
  /** The `code` of the error envelope sent, if any (also for an error event ending a stream). */
  errorCode?: string;
  /** Milliseconds from arrival to the first byte of the answer body (first SSE event for streams). */
  ttftMs?: number;
  /** Token usage as reported by the upstream. */
  usage?: { input: number; output: number };
  finishReason?: string;
  /** The client went away before the response ended. */
  aborted?: boolean;
  /** The data policy in force (`local_only`), when one applies. */
  dataPolicy?: string;
  /** The W3C trace id of the request's span (tracing on) or of the client's `traceparent`. */
  traceId?: string;
  /** The request's trace context, when it has one (see `upstreamTraceHeaders`). */
  trace?: RequestTrace;
  /** Its place among the requests in flight (the metrics' gauges), until it is observed. */
  inFlight?: LiveEntry<RequestRecord>;
}

/** A fresh record for a request that just arrived. */
export function newRequestRecord(id: string, route: ApiRoute = 'other'): RequestRecord {
  return { id, route, startedAt: performance.now(), attempts: [], applied: [] };
}
