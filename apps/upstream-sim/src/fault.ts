import type { Fault } from './sim-types';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(v: unknown, key: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new Error(`fault.${key} must be an integer >= ${min}`);
  }
  return v;
}

/** The faults played inside an answer the simulator has started (its own body writers). */
const MISBEHAVIOUR_KINDS = [
  'endless-line',
  'stall',
  'drip',
  'echo-error',
  'gzip-sse',
  'endless-json',
  'garbage-sse',
  'wrong-type',
] as const satisfies ReadonlyArray<Fault['kind']>;

export type Misbehaviour = Extract<Fault, { kind: (typeof MISBEHAVIOUR_KINDS)[number] }>;

export const FAULT_KINDS: ReadonlyArray<Fault['kind']> = [
  'status',
  'error-body',
  'slow',
  'cut',
  'reset',
  ...MISBEHAVIOUR_KINDS,
];

const MISBEHAVIOURS = new Set<Fault['kind']>(MISBEHAVIOUR_KINDS);

export function isMisbehaviour(fault: Fault): fault is Misbehaviour {
  return MISBEHAVIOURS.has(fault.kind);
}

/** Validates a fault received over the control plane; `null` clears. Throws with the bad key. */
export function parseFault(input: unknown): Fault | null {
  if (input === null) {
    return null;
  }
  if (!isRecord(input)) {
    throw new Error('fault must be an object or null');
  }
  const times = input.times === undefined ? {} : { times: count(input.times, 'times', 1) };
  switch (input.kind) {
    case 'status': {
      const status = count(input.status, 'status', 100);
      if (status > 599) {
        throw new Error('fault.status must be an HTTP status');
      }
      const retryAfter =
        input.retryAfter === undefined
          ? {}
          : { retryAfter: count(input.retryAfter, 'retryAfter', 0) };
      const body = input.body === undefined ? {} : { body: input.body };
      return { kind: 'status', status, ...retryAfter, ...body, ...times };
    }
    case 'error-body':
      return { kind: 'error-body', ...times };
    case 'slow':
      return { kind: 'slow', delayMs: count(input.delayMs, 'delayMs', 0), ...times };
    case 'cut':
      return { kind: 'cut', afterChunks: count(input.afterChunks, 'afterChunks', 0), ...times };
    case 'drip':
      return {
        kind: 'drip',
        chunkBytes: count(input.chunkBytes ?? 64, 'chunkBytes', 1),
        intervalMs: count(input.intervalMs ?? 1, 'intervalMs', 0),
        ...times,
      };
    case 'reset':
    case 'endless-line':
    case 'stall':
    case 'echo-error':
    case 'gzip-sse':
    case 'endless-json':
    case 'garbage-sse':
    case 'wrong-type':
      return { kind: input.kind, ...times };
    default:
      throw new Error(`fault.kind must be one of ${FAULT_KINDS.join(', ')}`);
  }
}

/** True for faults that also fail `/health` and `/v1/models`: a sick backend fails its probes. */
export function failsProbes(
  fault: Fault | null,
): fault is Extract<Fault, { kind: 'reset' | 'status' }> {
  return (
    fault !== null && (fault.kind === 'reset' || (fault.kind === 'status' && fault.status >= 500))
  );
}

/** The current fault and how many chat requests it still applies to. */
export class FaultState {
  private fault: Fault | null = null;
  private left = Number.POSITIVE_INFINITY;

  set(fault: Fault | null): void {
    this.fault = fault;
    this.left = fault?.times ?? Number.POSITIVE_INFINITY;
  }

  peek(): Fault | null {
    return this.fault;
  }

  /** The fault for the next chat request, counting it against `times`. */
  take(): Fault | null {
    const fault = this.fault;
    if (fault !== null && --this.left <= 0) {
      this.set(null);
    }
    return fault;
  }
}
