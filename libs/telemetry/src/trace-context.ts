import { randomFillSync } from 'node:crypto';

/** A parsed W3C `traceparent`. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/** The trace headers sent upstream with an attempt. */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

/** A request's place in a trace (see {@link upstreamTraceHeaders}). */
export interface RequestTrace {
  traceId: string;
  /** The gateway's server span (tracing on); attempts are its children. */
  spanId?: string;
  /** The client's span: the server span's parent. */
  parentSpanId?: string;
  /** Whether the trace is recorded (the sampler's decision, or the client's flag). */
  sampled: boolean;
  /** The client's `tracestate`, passed on unchanged. */
  tracestate?: string;
  /** Tracing off: the client's own headers, forwarded unchanged. */
  forward?: TraceHeaders;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** Longest `tracestate` passed on (W3C: 32 members of at most 256 characters; 512 is the advised cut). */
const MAX_TRACESTATE = 512;

/** A valid `traceparent` header, or undefined (W3C: an invalid one is ignored). */
export function parseTraceparent(value: string | string[] | undefined): TraceParent | undefined {
  if (typeof value !== 'string' || value.length > 256) {
    return undefined;
  }
  const match = TRACEPARENT.exec(value);
  if (!match) {
    return undefined;
  }
  const [, version, traceId, spanId, flags, rest] = match;
  if (
    version === 'ff' ||
    (version === '00' && rest !== undefined) ||
    traceId === ZERO_TRACE ||
    spanId === ZERO_SPAN
  ) {
    return undefined;
  }
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** The client's `tracestate` when it may be passed on. */
export function tracestateOf(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TRACESTATE
    ? value
    : undefined;
}

const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += bytes;
  return pool.toString('hex', offset - bytes, offset);
}

/** A random 16-byte trace id (hex). */
export function randomTraceId(): string {
  return randomHex(16);
}

/** A random 8-byte span id (hex). */
export function randomSpanId(): string {
  return randomHex(8);
}

/** A span id for an upstream attempt when the trace records spans, else undefined. */
export function attemptSpanId(trace: RequestTrace | undefined): string | undefined {
  return trace?.spanId !== undefined && trace.sampled ? randomSpanId() : undefined;
}

/**
 * The `traceparent`/`tracestate` to send with an upstream attempt: the client's own, unchanged,
 * when tracing is off; else the request's trace with the attempt's span (or the server span's,
 * when not sampled) as parent. Undefined when the request carries no trace.
 */
export function upstreamTraceHeaders(
  trace: RequestTrace | undefined,
  spanId: string | undefined,
): TraceHeaders | undefined {
  if (trace === undefined || trace.forward !== undefined) {
    return trace?.forward;
  }
  const traceparent = `00-${trace.traceId}-${spanId ?? trace.spanId}-${trace.sampled ? '01' : '00'}`;
  return trace.tracestate === undefined
    ? { traceparent }
    : { traceparent, tracestate: trace.tracestate };
}
