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
    case 'reset':
      return { kind: 'reset', ...times };
    default:
      throw new Error("fault.kind must be one of 'status', 'error-body', 'slow', 'cut', 'reset'");
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
