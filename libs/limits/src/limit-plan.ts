import type { KeyLimits, LimitName, LimitValues } from '@app/config';
import type { CountedRule, LimitRule } from '@app/store';

const MINUTE_MS = 60_000;

/** Where a limit is counted: over every request of the key, or over those for one alias or group. */
export interface LimitScope {
  /** `*` for the key as a whole; else the alias or group name as configured. */
  name: string;
  /** The aliases a group covers (absent for the key-wide scope and for a plain alias). */
  aliases?: readonly string[];
  values: LimitValues;
  /** Store key prefix of this scope's counters. */
  base: string;
}

/** A rule with the limit it enforces and the scope it counts. */
export interface PlannedRule {
  rule: LimitRule;
  name: LimitName;
  scope: LimitScope;
}

/**
 * One admission step of a request, compiled once per calendar day (the budgets' keys name their
 * window): a request only adds what it weighs, the tokens it is charged.
 */
export interface LimitStep {
  readonly planned: readonly PlannedRule[];
  /** The store's rules, in the order of `planned`. */
  readonly rules: readonly LimitRule[];
  /** The rules an admission charges its token estimate: settled on the real usage. */
  readonly tokenRules: readonly CountedRule[];
  /** The per-minute token rules: an estimate above one of their limits can never pass. */
  readonly tokenRates: readonly PlannedRule[];
}

/** The steps compiled for one UTC day. */
interface Steps {
  day: Window;
  key: LimitStep;
  byAlias: Map<string, LimitStep>;
}

/** A key's limits compiled once: its scopes, and the scopes that apply to each alias. */
export class LimitPlan {
  readonly key: LimitScope;
  readonly scopes: readonly LimitScope[];
  /** Whether any limit counts tokens (then real usage settles the estimate). */
  readonly countsTokens: boolean;
  private readonly byAlias = new Map<string, readonly LimitScope[]>();
  private steps?: Steps;

  constructor(
    readonly keyName: string,
    limits: KeyLimits,
    groups: Readonly<Record<string, readonly string[]>>,
  ) {
    const tag = `lim:{${encodeURIComponent(keyName)}}`;
    const { per_alias: perAlias, ...keyWide } = limits;
    this.key = { name: '*', values: keyWide, base: `${tag}:*` };
    this.scopes = Object.entries(perAlias ?? {}).map(([name, values]) => ({
      name,
      values,
      base: `${tag}:${encodeURIComponent(name)}`,
      ...(groups[name] && { aliases: groups[name] }),
    }));
    this.countsTokens = [this.key, ...this.scopes].some(
      ({ values: v }) => !!(v.tokens_per_minute || v.tokens_per_day || v.tokens_per_month),
    );
  }

  /** The per-alias scopes that count a request for `alias`: its own entry and every group holding it. */
  scopesFor(alias: string): readonly LimitScope[] {
    let scopes = this.byAlias.get(alias);
    if (!scopes) {
      scopes = this.scopes.filter((s) =>
        s.aliases ? s.aliases.includes(alias) : s.name === alias,
      );
      this.byAlias.set(alias, scopes);
    }
    return scopes;
  }

  /**
   * Checked before the body is read: the key's request rate and concurrency (charged), and whether
   * anything is left of its token rate and budgets (admitted with no tokens, they are only checked).
   */
  keyStep(now: number): LimitStep {
    return this.stepsAt(now).key;
  }

  /**
   * Checked once the alias and the estimate are known: the alias's scopes in full, and the key's
   * token rate and budgets, charged with the estimate. `alias` is a catalog entry's (a bounded set).
   */
  aliasStep(alias: string, now: number): LimitStep {
    const steps = this.stepsAt(now);
    let step = steps.byAlias.get(alias);
    if (!step) {
      const planned = rulesOf(this.key, false, steps.day);
      for (const scope of this.scopesFor(alias)) {
        planned.push(...rulesOf(scope, true, steps.day));
      }
      step = stepOf(planned);
      steps.byAlias.set(alias, step);
    }
    return step;
  }

  /** Every rule of every scope (for `/v1/usage`). */
  allRules(now: number): PlannedRule[] {
    const day = utcDay(now);
    return [this.key, ...this.scopes].flatMap((scope) => rulesOf(scope, true, day));
  }

  /** The steps of the UTC day holding `now`, compiled anew when the day (and so a budget's window) turns. */
  private stepsAt(now: number): Steps {
    const day = utcDay(now);
    if (this.steps?.day !== day) {
      this.steps = { day, key: stepOf(rulesOf(this.key, true, day)), byAlias: new Map() };
    }
    return this.steps;
  }
}

function stepOf(planned: PlannedRule[]): LimitStep {
  const tokenRules: CountedRule[] = [];
  for (const { rule } of planned) {
    if (rule.kind !== 'slots' && rule.counts === 'tokens') {
      tokenRules.push(rule);
    }
  }
  return {
    planned,
    rules: planned.map((p) => p.rule),
    tokenRules,
    tokenRates: planned.filter((p) => p.name === 'tokens_per_minute'),
  };
}

/** A scope's rules: its token rate and budgets, and with `requests` its request rate and concurrency. */
function rulesOf(scope: LimitScope, requests: boolean, day: Window): PlannedRule[] {
  const v = scope.values;
  const rules: PlannedRule[] = [];
  const add = (name: LimitName, rule: LimitRule): number => rules.push({ rule, name, scope });
  if (requests && v.requests_per_minute) {
    add('requests_per_minute', {
      kind: 'rate',
      key: `${scope.base}:rpm`,
      limit: v.requests_per_minute,
      periodMs: MINUTE_MS,
      counts: 'requests',
    });
  }
  if (requests && v.concurrent_requests) {
    add('concurrent_requests', {
      kind: 'slots',
      key: `${scope.base}:conc`,
      limit: v.concurrent_requests,
    });
  }
  if (v.tokens_per_minute) {
    add('tokens_per_minute', {
      kind: 'rate',
      key: `${scope.base}:tpm`,
      limit: v.tokens_per_minute,
      periodMs: MINUTE_MS,
      counts: 'tokens',
    });
  }
  if (v.tokens_per_day) {
    add('tokens_per_day', {
      kind: 'budget',
      key: `${scope.base}:tpd:${day.id}`,
      limit: v.tokens_per_day,
      endsAt: day.endsAt,
      counts: 'tokens',
    });
  }
  if (v.tokens_per_month) {
    const month = utcMonth(day.startsAt);
    add('tokens_per_month', {
      kind: 'budget',
      key: `${scope.base}:tpmo:${month.id}`,
      limit: v.tokens_per_month,
      endsAt: month.endsAt,
      counts: 'tokens',
    });
  }
  return rules;
}

interface Window {
  id: string;
  startsAt: number;
  endsAt: number;
}

let day: Window | undefined;
let month: Window | undefined;

/** The UTC day holding `now` (`2026-12-02`), computed once per day. */
export function utcDay(now: number): Window {
  if (!day || now < day.startsAt || now >= day.endsAt) {
    const d = new Date(now);
    const startsAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    day = { id: d.toISOString().slice(0, 10), startsAt, endsAt: startsAt + 86_400_000 };
  }
  return day;
}

/** The UTC calendar month holding `now` (`2026-12`), computed once per month. */
export function utcMonth(now: number): Window {
  if (!month || now < month.startsAt || now >= month.endsAt) {
    const d = new Date(now);
    month = {
      id: d.toISOString().slice(0, 7),
      startsAt: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
      endsAt: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
    };
  }
  return month;
}
