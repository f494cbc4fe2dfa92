/** Why a routing destination is benched (skipped by the fallback loop until `until`). */
export type BenchReason =
  /** Consecutive failures reached the threshold. */
  | 'failures'
  /** Connection refused / probe failed: the destination is not reachable. */
  | 'unreachable'
  /** The provider answered 429: benched for its `Retry-After`, which no probe can shorten. */
  | 'rate_limited'
  /** The provider refused our backend key (401/403). */
  | 'auth'
  /** The provider does not serve this upstream model. */
  | 'model_not_found';

export interface Bench {
  /** Epoch milliseconds at which the bench ends. */
  until: number;
  reason: BenchReason;
}

/**
 * Circuit state of routing destinations, keyed by `backend` or `backend|upstream-model`.
 * Reads are synchronous (the hot path never waits on a store); writes are applied locally at
 * once and, in a shared implementation, propagated to every replica.
 */
export abstract class CircuitStore {
  /** The bench on `key` in force now, if any. */
  abstract get(key: string, now?: number): Bench | undefined;
  /** Benches `key`; a bench already in force that ends later is kept (a bench is never shortened). */
  abstract bench(key: string, bench: Bench): void;
  /** Lifts the bench on `key` when its reason is one of `reasons` (a probe lifts `unreachable`, never `rate_limited`). */
  abstract lift(key: string, reasons: readonly BenchReason[]): void;
  /** Counts one more consecutive failure of `key` (forgotten after `windowMs` without one); resolves with the count. */
  abstract addFailure(key: string, windowMs: number): Promise<number>;
  /** A success: the consecutive-failure count of `key` starts again from zero. */
  abstract resetFailures(key: string): void;
  /** Every bench in force now, by key. */
  abstract benches(now?: number): ReadonlyMap<string, Bench>;
}

/** The embedded default: circuit state of this one process. */
export class MemoryCircuitStore extends CircuitStore {
  private readonly benched = new Map<string, Bench>();
  private readonly failures = new Map<string, { count: number; expires: number }>();

  get(key: string, now = Date.now()): Bench | undefined {
    const bench = this.benched.get(key);
    if (bench && bench.until <= now) {
      this.benched.delete(key);
      return undefined;
    }
    return bench;
  }

  bench(key: string, bench: Bench): void {
    const current = this.get(key);
    if (!current || current.until < bench.until) {
      this.benched.set(key, { ...bench });
    }
  }

  lift(key: string, reasons: readonly BenchReason[]): void {
    const current = this.benched.get(key);
    if (current && reasons.includes(current.reason)) {
      this.benched.delete(key);
    }
  }

  addFailure(key: string, windowMs: number): Promise<number> {
    const now = Date.now();
    const entry = this.failures.get(key);
    const count = entry && entry.expires > now ? entry.count + 1 : 1;
    this.failures.set(key, { count, expires: now + windowMs });
    return Promise.resolve(count);
  }

  resetFailures(key: string): void {
    this.failures.delete(key);
  }

  benches(now = Date.now()): ReadonlyMap<string, Bench> {
    for (const key of [...this.benched.keys()]) {
      this.get(key, now);
    }
    return this.benched;
  }

  /**
   * Sets the bench on `key` as a shared store says it stands, shorter or lifted included (the
   * shared store, not this copy, decides whether a bench may be shortened).
   */
  put(key: string, bench: Bench | undefined): void {
    if (bench) {
      this.benched.set(key, { ...bench });
    } else {
      this.benched.delete(key);
    }
  }

  /** Replaces every bench with `table` (a shared store's whole table, re-read). */
  replace(table: Iterable<[string, Bench]>): void {
    this.benched.clear();
    for (const [key, bench] of table) {
      this.benched.set(key, bench);
    }
  }
}
