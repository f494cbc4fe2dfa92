import type { KeyLimits, LimitName, LimitValues } from '@app/config';
import type { LimitRule } from '@app/store';

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
  /** The counters' keys, made once (budgets: once per window), not once per request. */
  readonly keys: ScopeKeys;
}

interface ScopeKeys {
  readonly rpm: string;
  readonly conc: string;
  readonly tpm: string;
  day?: { window: Window; key: string };
  month?: { window: Window; key: string };
}

function scopeKeys(base: string): ScopeKeys {
  return { rpm: `${base}:rpm`, conc: `${base}:conc`, tpm: `${base}:tpm` };
}

/** A rule with the limit it enforces and the scope it counts. */
export interface PlannedRule {
  rule: LimitRule;
  name: LimitName;
  scope: LimitScope;
}

/** A key's limits compiled once: its scopes, and the scopes that apply to each alias. */
export class LimitPlan {
  readonly key: LimitScope;
  readonly scopes: readonly LimitScope[];
  /** Whether any limit counts tokens (then real usage settles the estimate). */
  readonly countsTokens: boolean;
  private readonly byAlias = new Map<string, readonly LimitScope[]>();

  constructor(
    readonly keyName: string,
    limits: KeyLimits,
    groups: Readonly<Record<string, readonly string[]>>,
  ) {
    const tag = `lim:{${encodeURIComponent(keyName)}}`;
    const { per_alias: perAlias, ...keyWide } = limits;
    this.key = { name: '*', values: keyWide, base: `${tag}:*`, keys: scopeKeys(`${tag}:*`) };
    this.scopes = Object.entries(perAlias ?? {}).map(([name, values]) => ({
      name,
      values,
      base: `${tag}:${encodeURIComponent(name)}`,
      keys: scopeKeys(`${tag}:${encodeURIComponent(name)}`),
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
   * anything is left of its token rate and budgets (charging nothing).
   */
  keyRules(now: number): PlannedRule[] {
    return rulesOf(this.key, { requests: true, tokens: 0 }, now);
  }

  /**
   * Checked once the alias and the estimate are known: the alias's scopes in full, and the
   * key's token rate and budgets charged with the estimate.
   */
  aliasRules(alias: string, estimate: number, now: number): PlannedRule[] {
    const rules = rulesOf(this.key, { requests: false, tokens: estimate }, now);
    for (const scope of this.scopesFor(alias)) {
      rules.push(...rulesOf(scope, { requests: true, tokens: estimate }, now));
    }
    return rules;
  }

  /** Every rule of every scope, charging nothing (for `/v1/usage`). */
  allRules(now: number): PlannedRule[] {
    return [this.key, ...this.scopes].flatMap((scope) =>
      rulesOf(scope, { requests: true, tokens: 0 }, now, 0),
    );
  }
}

function rulesOf(
  scope: LimitScope,
  charge: { requests: boolean; tokens: number },
  now: number,
  requestCost = 1,
): PlannedRule[] {
  const v = scope.values;
  const rules: PlannedRule[] = [];
  const add = (name: LimitName, rule: LimitRule): number => rules.push({ rule, name, scope });
  if (charge.requests && v.requests_per_minute) {
    add('requests_per_minute', {
      kind: 'rate',
      key: scope.keys.rpm,
      limit: v.requests_per_minute,
      periodMs: MINUTE_MS,
      cost: requestCost,
    });
  }
  if (charge.requests && v.concurrent_requests) {
    add('concurrent_requests', {
      kind: 'slots',
      key: scope.keys.conc,
      limit: v.concurrent_requests,
    });
  }
  if (v.tokens_per_minute) {
    add('tokens_per_minute', {
      kind: 'rate',
      key: scope.keys.tpm,
      limit: v.tokens_per_minute,
      periodMs: MINUTE_MS,
      cost: charge.tokens,
    });
  }
  if (v.tokens_per_day) {
    const day = utcDay(now);
    if (scope.keys.day?.window !== day) {
      scope.keys.day = { window: day, key: `${scope.base}:tpd:${day.id}` };
    }
    add('tokens_per_day', {
      kind: 'budget',
      key: scope.keys.day.key,
      limit: v.tokens_per_day,
      endsAt: day.endsAt,
      cost: charge.tokens,
    });
  }
  if (v.tokens_per_month) {
    const month = utcMonth(now);
    if (scope.keys.month?.window !== month) {
      scope.keys.month = { window: month, key: `${scope.base}:tpmo:${month.id}` };
    }
    add('tokens_per_month', {
      kind: 'budget',
      key: scope.keys.month.key,
      limit: v.tokens_per_month,
      endsAt: month.endsAt,
      cost: charge.tokens,
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
