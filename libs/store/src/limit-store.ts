/**
 * One limit to check (and, when every rule of an admission passes, to charge):
 * - `rate`: a token bucket of `limit` per `periodMs`, full at first. A burst of `limit`, then
 *   `limit` per period, smoothly (a sliding window, not a calendar one).
 * - `budget`: a counter for one calendar window (its `key` names the window) that ends at `endsAt`.
 * - `slots`: at most `limit` held at once; a held slot is a lease that expires unless renewed.
 * A bucket or budget `counts` requests (an admission costs it 1) or tokens (it costs the tokens the
 * admission charges, see {@link costOf}); a cost of 0 only checks that something is left (a bucket
 * above 0, a budget not spent). A rule names no amount of its own, so a caller compiles its rules
 * once and charges each admission what it weighs.
 */
export type LimitRule =
  | { kind: 'rate'; key: string; limit: number; periodMs: number; counts: Counted }
  | { kind: 'budget'; key: string; limit: number; endsAt: number; counts: Counted }
  | { kind: 'slots'; key: string; limit: number };

/** What a bucket or budget counts. */
export type Counted = 'requests' | 'tokens';

/** A bucket or a budget: what an admission charges and a correction adjusts. */
export type CountedRule = Extract<LimitRule, { kind: 'rate' | 'budget' }>;

/** What `rule` takes from its bucket or budget in an admission charging `tokens`. */
export function costOf(rule: CountedRule, tokens: number): number {
  return rule.counts === 'requests' ? 1 : tokens;
}

/** Where a rule stands after an admission (or now, for a read). */
export interface RuleStanding {
  limit: number;
  /** What is left (0 at least): tokens or requests in a bucket, a budget's rest, free slots. */
  remaining: number;
  /** Milliseconds until the rule is back to its initial state (a full bucket, a new window); 0 for slots. */
  resetMs: number;
}

/** Concurrency slots held by one request; handed back to {@link LimitStore.settle}. */
export interface SlotLease {
  readonly id: string;
  readonly keys: readonly string[];
  /** Held in the shared store (false: in this process's fallback memory). */
  readonly shared: boolean;
}

export type Admission =
  | { ok: true; standings: RuleStanding[]; lease?: SlotLease }
  /** `refused` is the index of the first rule that did not pass; nothing was charged. */
  | { ok: false; standings: RuleStanding[]; refused: number; retryAfterMs: number }
  /** The shared store is out and the failure policy is `closed`. */
  | { ok: false; unavailable: true };

/** A correction once the real cost is known: `delta` = actual − charged (negative gives back). */
export interface Adjustment {
  rule: CountedRule;
  delta: number;
}

/**
 * Limit state: token buckets, calendar budgets and concurrency slots. Every admission is atomic:
 * all of its rules pass and are charged together, or none is charged (no read-modify-write race
 * between replicas). A store in this process's memory answers at once, without a promise: the
 * request path then takes no turn of the event loop for its limits.
 */
export abstract class LimitStore {
  /**
   * Checks every rule; when all pass, charges them (1 to a rule counting requests, `tokens` to one
   * counting tokens) and takes the slots.
   */
  abstract admit(rules: readonly LimitRule[], tokens?: number): Admission | Promise<Admission>;
  /** Applies corrections and hands back the slots of `lease`. */
  abstract settle(adjustments: readonly Adjustment[], lease?: SlotLease): void | Promise<void>;
  /** Where each rule stands now, charging nothing. */
  abstract standings(rules: readonly LimitRule[]): Promise<RuleStanding[]>;
}

/** A lease of this store's slots: handed back once. */
class MemoryLease implements SlotLease {
  readonly keys: string[] = [];
  readonly shared = false;
  held = true;

  constructor(readonly id: string) {}
}

interface Bucket {
  level: number;
  at: number;
  limit: number;
  periodMs: number;
}

interface Budget {
  used: number;
  endsAt: number;
  limit: number;
}

/** A bucket's level at `now`: refilled by limit/period per millisecond, never above the limit. */
export function bucketLevel(
  bucket: Pick<Bucket, 'level' | 'at'> | undefined,
  limit: number,
  periodMs: number,
  now: number,
): number {
  if (!bucket) {
    return limit;
  }
  return Math.min(limit, bucket.level + ((now - bucket.at) * limit) / periodMs);
}

/** The embedded default: limit state of this one process. */
export class MemoryLimitStore extends LimitStore {
  private readonly buckets = new Map<string, Bucket>();
  private readonly budgets = new Map<string, Budget>();
  /** Slots held per key: a count (a set of the leases would be one hash-table entry per request: see LiveList). */
  private readonly slots = new Map<string, number>();
  private leases = 0;

  constructor(private readonly clock: () => number = Date.now) {
    super();
  }

  /** Synchronous: the Redis store's fallback calls it too. */
  admit(rules: readonly LimitRule[], tokens = 0): Admission {
    const now = this.clock();
    // The check builds no standings unless it refuses: the charge below reports them.
    for (let i = 0; i < rules.length; i++) {
      const wait = waitAt(rules[i], this.amount(rules[i], now), tokens, now);
      if (wait > 0) {
        // Nothing is charged; every rule still reports where it stands.
        const standings = rules.map((rule) => standingAt(rule, this.amount(rule, now), now));
        return { ok: false, standings, refused: i, retryAfterMs: wait };
      }
    }
    // The charge reads the state again: two rules of one admission may count on the same key.
    const standings: RuleStanding[] = [];
    let lease: MemoryLease | undefined;
    for (const rule of rules) {
      if (rule.kind === 'rate') {
        const level = this.amount(rule, now) - costOf(rule, tokens);
        this.setBucket(rule, level, now);
        standings.push(standingAt(rule, level, now));
      } else if (rule.kind === 'budget') {
        const budget = this.budget(rule, now);
        budget.used += costOf(rule, tokens);
        standings.push(standingAt(rule, budget.used, now));
      } else {
        lease ??= new MemoryLease(`m${++this.leases}`);
        lease.keys.push(rule.key);
        const held = (this.slots.get(rule.key) ?? 0) + 1;
        this.slots.set(rule.key, held);
        standings.push(standingAt(rule, held, now));
      }
    }
    return lease ? { ok: true, standings, lease } : { ok: true, standings };
  }

  /** Synchronous: the Redis store's fallback calls it too. */
  settle(adjustments: readonly Adjustment[], lease?: SlotLease): void {
    const now = this.clock();
    for (const { rule, delta } of adjustments) {
      if (delta === 0) {
        continue;
      }
      if (rule.kind === 'rate') {
        const level = bucketLevel(this.buckets.get(rule.key), rule.limit, rule.periodMs, now);
        this.setBucket(rule, Math.min(rule.limit, level - delta), now);
      } else if (rule.endsAt > now) {
        const budget = this.budget(rule, now);
        budget.used = Math.max(0, budget.used + delta);
      }
    }
    if (!(lease instanceof MemoryLease) || !lease.held) {
      return; // None, handed back already, or not this store's.
    }
    lease.held = false;
    for (const key of lease.keys) {
      // A key's count stays at 0 (keys × scopes, a bounded set): no entry comes and goes per request.
      this.slots.set(key, Math.max(0, (this.slots.get(key) ?? 0) - 1));
    }
  }

  /**
   * Takes what this store has counted, as corrections for a shared store that knew nothing of
   * it, and forgets it: per bucket, what it lacks of full now (`limit − level`: what was taken
   * and not yet refilled); per budget of a window not yet ended, what was used. Slots stay: their
   * requests hand them back here.
   */
  drain(): Adjustment[] {
    const now = this.clock();
    const taken: Adjustment[] = [];
    // A correction adds its delta whatever its rule counts.
    const counts = 'tokens';
    for (const [key, b] of this.buckets) {
      const lack = b.limit - bucketLevel(b, b.limit, b.periodMs, now);
      if (lack > 0) {
        const rule = { kind: 'rate', key, limit: b.limit, periodMs: b.periodMs, counts } as const;
        taken.push({ rule, delta: lack });
      }
    }
    for (const [key, b] of this.budgets) {
      if (b.endsAt > now && b.used > 0) {
        const rule = { kind: 'budget', key, limit: b.limit, endsAt: b.endsAt, counts } as const;
        taken.push({ rule, delta: b.used });
      }
    }
    this.buckets.clear();
    this.budgets.clear();
    return taken;
  }

  standings(rules: readonly LimitRule[]): Promise<RuleStanding[]> {
    const now = this.clock();
    return Promise.resolve(rules.map((rule) => standingAt(rule, this.amount(rule, now), now)));
  }

  /** A rule's state now: a bucket's level, a budget's use, the slots held. */
  private amount(rule: LimitRule, now: number): number {
    if (rule.kind === 'rate') {
      return bucketLevel(this.buckets.get(rule.key), rule.limit, rule.periodMs, now);
    }
    if (rule.kind === 'budget') {
      return this.budgets.get(rule.key)?.used ?? 0;
    }
    return this.slots.get(rule.key) ?? 0;
  }

  /** Updates the bucket in place: a new object per charge would be one more store into the old space. */
  private setBucket(rule: Extract<LimitRule, { kind: 'rate' }>, level: number, now: number): void {
    const bucket = this.buckets.get(rule.key);
    if (bucket) {
      bucket.level = level;
      bucket.at = now;
      bucket.limit = rule.limit;
      bucket.periodMs = rule.periodMs;
    } else {
      this.buckets.set(rule.key, { level, at: now, limit: rule.limit, periodMs: rule.periodMs });
    }
  }

  private budget(rule: Extract<LimitRule, { kind: 'budget' }>, now: number): Budget {
    let budget = this.budgets.get(rule.key);
    if (!budget) {
      // A new calendar window: forget the windows that have ended (bounded by keys × scopes).
      for (const [key, b] of this.budgets) {
        if (b.endsAt <= now) {
          this.budgets.delete(key);
        }
      }
      budget = { used: 0, endsAt: rule.endsAt, limit: rule.limit };
      this.budgets.set(rule.key, budget);
    }
    return budget;
  }
}

/** Where a rule stands at `amount` (see {@link MemoryLimitStore.amount}). */
function standingAt(rule: LimitRule, amount: number, now: number): RuleStanding {
  if (rule.kind === 'rate') {
    return {
      limit: rule.limit,
      remaining: Math.max(0, Math.floor(amount)),
      resetMs: Math.max(0, Math.ceil(((rule.limit - amount) * rule.periodMs) / rule.limit)),
    };
  }
  if (rule.kind === 'budget') {
    return {
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - amount),
      resetMs: Math.max(0, rule.endsAt - now),
    };
  }
  return { limit: rule.limit, remaining: Math.max(0, rule.limit - amount), resetMs: 0 };
}

/** How long until `rule`, at `amount`, would pass an admission charging `tokens` (0: it passes now). */
function waitAt(rule: LimitRule, amount: number, tokens: number, now: number): number {
  if (rule.kind === 'rate') {
    const need = Math.max(costOf(rule, tokens), 1);
    return amount >= need
      ? 0
      : Math.max(1, Math.ceil(((need - amount) * rule.periodMs) / rule.limit));
  }
  if (rule.kind === 'budget') {
    return amount + Math.max(costOf(rule, tokens), 1) <= rule.limit
      ? 0
      : Math.max(1, rule.endsAt - now);
  }
  return amount < rule.limit ? 0 : 1000;
}
