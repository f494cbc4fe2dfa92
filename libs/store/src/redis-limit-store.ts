import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RedisFailurePolicy } from '@app/config';
import {
  costOf,
  LimitStore,
  MemoryLimitStore,
  type Adjustment,
  type Admission,
  type LimitRule,
  type RuleStanding,
  type SlotLease,
} from './limit-store';
import { LiveList, type LiveEntry } from './live-list';
import type { RedisConnection } from './redis-connection';

// The same arithmetic as MemoryLimitStore, on Redis's clock, in one script per call: every rule of
// an admission is checked, then all are charged or none (no read-modify-write across replicas).
// KEYS: one per rule. ARGV: mode ('admit' | 'peek'), lease ms, lease id, then per rule:
// kind (r = rate bucket, b = budget, s = slots), limit, period ms | window end, cost.
// Returns: ok (1/0), index of the refused rule (1-based, 0 = none), wait ms, then per rule:
// remaining, ms to reset.
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local admit = ARGV[1] == 'admit'
local leaseMs = tonumber(ARGV[2])
local leaseId = ARGV[3]
local n = #KEYS
local state = {}
local refused, wait = 0, 0
for i = 1, n do
  local b = 3 + (i - 1) * 4
  local kind, limit, param, cost = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  local w = 0
  local v
  if kind == 'r' then
    local h = redis.call('HMGET', KEYS[i], 'l', 't')
    v = limit
    if h[1] then v = math.min(limit, tonumber(h[1]) + (now - tonumber(h[2])) * limit / param) end
    local need = math.max(cost, 1)
    if v < need then w = math.max(1, math.ceil((need - v) * param / limit)) end
  elseif kind == 'b' then
    v = tonumber(redis.call('GET', KEYS[i]) or '0')
    if v + math.max(cost, 1) > limit then w = math.max(1, param - now) end
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    v = redis.call('ZCARD', KEYS[i])
    if v >= limit then w = 1000 end
  end
  state[i] = {kind, limit, param, cost, v}
  if w > 0 and refused == 0 then refused = i; wait = w end
end
local charge = admit and refused == 0
local out = {charge and 1 or 0, refused, wait}
for i = 1, n do
  local kind, limit, param, cost, v = state[i][1], state[i][2], state[i][3], state[i][4], state[i][5]
  local remaining, reset
  if kind == 'r' then
    if charge then
      v = v - cost
      redis.call('HSET', KEYS[i], 'l', tostring(v), 't', now)
      redis.call('PEXPIRE', KEYS[i], math.ceil((limit - v) * param / limit) + 1000)
    end
    remaining, reset = v, (limit - v) * param / limit
  elseif kind == 'b' then
    if charge then
      v = redis.call('INCRBY', KEYS[i], cost)
      redis.call('PEXPIREAT', KEYS[i], param + 60000)
    end
    remaining, reset = limit - v, param - now
  else
    if charge then
      redis.call('ZADD', KEYS[i], now + leaseMs, leaseId)
      redis.call('PEXPIRE', KEYS[i], leaseMs * 2)
      v = v + 1
    end
    remaining, reset = limit - v, 0
  end
  out[#out + 1] = math.max(0, math.floor(remaining))
  out[#out + 1] = math.max(0, math.ceil(reset))
end
return out
`;

// KEYS: adjusted rules, then slot keys. ARGV: count of adjustments, then per adjustment: kind,
// limit, period ms | window end, delta; then the lease id held on each slot key.
const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[1])
for i = 1, n do
  local b = 1 + (i - 1) * 4
  local kind, limit, param, delta = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  if kind == 'r' then
    local h = redis.call('HMGET', KEYS[i], 'l', 't')
    local v = limit
    if h[1] then v = math.min(limit, tonumber(h[1]) + (now - tonumber(h[2])) * limit / param) end
    v = math.min(limit, v - delta)
    redis.call('HSET', KEYS[i], 'l', tostring(v), 't', now)
    redis.call('PEXPIRE', KEYS[i], math.ceil((limit - v) * param / limit) + 1000)
  elseif param > now then
    local used = redis.call('INCRBY', KEYS[i], delta)
    if used < 0 then redis.call('SET', KEYS[i], 0) end
    redis.call('PEXPIREAT', KEYS[i], param + 60000)
  end
end
for i = n + 1, #KEYS do
  redis.call('ZREM', KEYS[i], ARGV[1 + n * 4 + i - n])
end
return n
`;

// KEYS: slot keys; ARGV: lease ms, then the lease id of each key. Extends leases still held.
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 1, #KEYS do
  if redis.call('ZADD', KEYS[i], 'XX', 'CH', now + lease, ARGV[i + 1]) == 1 then
    redis.call('PEXPIRE', KEYS[i], lease * 2)
  end
end
return #KEYS
`;

type Scripted = Redis & {
  gwLimitAdmit(numKeys: number, ...args: Array<string | number>): Promise<number[]>;
  gwLimitSettle(numKeys: number, ...args: Array<string | number>): Promise<number>;
  gwLimitRenew(numKeys: number, ...args: Array<string | number>): Promise<number>;
};

const KIND = { rate: 'r', budget: 'b', slots: 's' } as const;

export interface RedisLimitStoreOptions {
  /** What to do while Redis is out (see {@link RedisFailurePolicy}). */
  policy: RedisFailurePolicy;
  /** How long a concurrency slot lives without renewal: a crashed replica's slots free up after it. */
  leaseMs?: number;
}

/**
 * Slots held in Redis by one request, in the store's list of held leases until handed back (a
 * list, not a map by id: see {@link LiveList}).
 */
class SharedLease implements SlotLease {
  readonly shared = true;
  readonly entry: LiveEntry<SharedLease>;

  constructor(
    readonly id: string,
    readonly keys: readonly string[],
    held: LiveList<SharedLease>,
  ) {
    this.entry = held.add(this);
  }
}

/**
 * Slots held in Redis whose request ended while Redis was out, or that an admission whose answer
 * was lost may have taken: handed back once it returns.
 */
interface Release {
  at: number;
  id: string;
  keys: readonly string[];
}

/**
 * Limit state in Redis, shared by every replica. While Redis is out, the failure policy decides:
 * `local` serves from this replica's memory (each replica then enforces the limits on its own),
 * `open` admits without limits, `closed` refuses. Slots held here are renewed every third of their
 * lease while their request runs.
 *
 * What is counted while Redis is out (admissions under `local`, what is served under `open`, the
 * settlement of requests admitted before) goes to this replica's memory; when Redis returns it is
 * added to the shared counters in one script, then forgotten here, so an outage spends no more of
 * a window or budget than the traffic it served. Slots of Redis whose request ended meanwhile are
 * handed back in the same script; slots taken from memory stay there until their request ends.
 */
export class RedisLimitStore extends LimitStore {
  private readonly redis: Scripted;
  private readonly local = new MemoryLimitStore();
  private readonly policy: RedisFailurePolicy;
  private readonly leaseMs: number;
  /** The slots held in Redis by requests still running: renewed until handed back. */
  private readonly held = new LiveList<SharedLease>();
  private readonly renewal: NodeJS.Timeout;
  private readonly logger = new Logger('Redis');
  private releases: Release[] = [];
  private leases = 0;

  constructor(
    private readonly conn: RedisConnection,
    options: RedisLimitStoreOptions,
  ) {
    super();
    this.policy = options.policy;
    this.leaseMs = options.leaseMs ?? 30_000;
    const client = conn.client;
    client.defineCommand('gwLimitAdmit', { lua: ADMIT });
    client.defineCommand('gwLimitSettle', { lua: SETTLE });
    client.defineCommand('gwLimitRenew', { lua: RENEW });
    this.redis = client as Scripted;
    this.renewal = setInterval(() => void this.renew(), Math.max(100, this.leaseMs / 3));
    this.renewal.unref();
    conn.onReady(() => void this.merge());
  }

  async admit(rules: readonly LimitRule[], tokens = 0): Promise<Admission> {
    if (this.conn.available) {
      const id = `${this.conn.replicaId}:${++this.leases}`;
      try {
        const reply = await this.redis.gwLimitAdmit(
          rules.length,
          ...this.keys(rules),
          ...this.admitArgs('admit', id, rules, tokens),
        );
        return this.admission(reply, rules, id);
      } catch (err) {
        this.conn.commandFailed(err);
        // The script may have run before its answer was lost: a slot it took there goes back
        // when Redis returns (handing back a lease Redis never saw changes nothing).
        const slotKeys = this.slotKeys(rules);
        if (slotKeys.length > 0) {
          this.handBackLater(id, slotKeys);
        }
      }
    }
    this.conn.countFallback();
    if (this.policy === 'open') {
      // Admitted unchecked, but counted: the shared windows and budgets get it once Redis returns.
      this.local.settle(charges(rules, tokens));
      return { ok: true, standings: rules.map(unlimited) };
    }
    if (this.policy === 'closed') {
      return { ok: false, unavailable: true };
    }
    return this.local.admit(rules, tokens);
  }

  async settle(adjustments: readonly Adjustment[], lease?: SlotLease): Promise<void> {
    if (lease instanceof SharedLease) {
      this.held.remove(lease.entry);
    }
    if (lease && !lease.shared) {
      this.local.settle([], lease);
    }
    const sharedLease = lease?.shared ? lease : undefined;
    const moves = adjustments.filter((a) => a.delta !== 0);
    if (moves.length === 0 && !sharedLease) {
      return;
    }
    if (this.conn.available) {
      try {
        await this.send(moves, sharedLease ? [sharedLease] : []);
        return;
      } catch (err) {
        this.conn.commandFailed(err);
      }
    }
    this.defer(moves, sharedLease);
  }

  async standings(rules: readonly LimitRule[]): Promise<RuleStanding[]> {
    if (this.conn.available) {
      try {
        const reply = await this.redis.gwLimitAdmit(
          rules.length,
          ...this.keys(rules),
          ...this.admitArgs('peek', '', rules, 0),
        );
        return this.readStandings(reply, rules);
      } catch (err) {
        this.conn.commandFailed(err);
      }
    }
    this.conn.countFallback();
    return this.policy === 'local' ? this.local.standings(rules) : rules.map(unlimited);
  }

  /** Stops renewing leases (they expire in Redis on their own). */
  close(): void {
    clearInterval(this.renewal);
  }

  private keys(rules: readonly LimitRule[]): string[] {
    return rules.map((r) => this.conn.key(r.key));
  }

  private admitArgs(
    mode: 'admit' | 'peek',
    id: string,
    rules: readonly LimitRule[],
    tokens: number,
  ): Array<string | number> {
    const args: Array<string | number> = [mode, this.leaseMs, id];
    for (const rule of rules) {
      if (rule.kind === 'rate') {
        args.push('r', rule.limit, rule.periodMs, costOf(rule, tokens));
      } else if (rule.kind === 'budget') {
        args.push('b', rule.limit, rule.endsAt, costOf(rule, tokens));
      } else {
        args.push('s', rule.limit, 0, 0);
      }
    }
    return args;
  }

  private admission(reply: number[], rules: readonly LimitRule[], id: string): Admission {
    const standings = this.readStandings(reply, rules);
    if (reply[0] !== 1) {
      return { ok: false, standings, refused: reply[1] - 1, retryAfterMs: reply[2] };
    }
    const slotKeys = this.slotKeys(rules);
    if (slotKeys.length === 0) {
      return { ok: true, standings };
    }
    return { ok: true, standings, lease: new SharedLease(id, slotKeys, this.held) };
  }

  private slotKeys(rules: readonly LimitRule[]): string[] {
    return rules.filter((r) => r.kind === 'slots').map((r) => this.conn.key(r.key));
  }

  private readStandings(reply: number[], rules: readonly LimitRule[]): RuleStanding[] {
    return rules.map((rule, i) => ({
      limit: rule.limit,
      remaining: reply[3 + 2 * i],
      resetMs: reply[4 + 2 * i],
    }));
  }

  /** Adds `moves` to the shared counters and hands back the slots of `leases`, in one script. */
  private async send(
    moves: readonly Adjustment[],
    leases: ReadonlyArray<Pick<SlotLease, 'id' | 'keys'>>,
  ): Promise<void> {
    const keys = moves.map((m) => this.conn.key(m.rule.key));
    const args: Array<string | number> = [moves.length];
    for (const { rule, delta } of moves) {
      args.push(
        KIND[rule.kind],
        rule.limit,
        rule.kind === 'rate' ? rule.periodMs : rule.endsAt,
        delta,
      );
    }
    for (const lease of leases) {
      for (const key of lease.keys) {
        keys.push(key);
        args.push(lease.id);
      }
    }
    await this.redis.gwLimitSettle(keys.length, ...keys, ...args);
  }

  /** Redis is out: the corrections count here, and the shared slots are handed back on its return. */
  private defer(moves: readonly Adjustment[], lease?: SlotLease): void {
    this.local.settle(moves);
    if (lease) {
      this.handBackLater(lease.id, lease.keys);
    }
  }

  /** Remembers slots held in Redis under `id`, to hand back when Redis answers again. */
  private handBackLater(id: string, keys: readonly string[]): void {
    const now = Date.now();
    // A slot whose lease has run out is free in Redis already: no need to remember it.
    const live = this.releases.findIndex((r) => r.at > now - this.leaseMs);
    this.releases = live < 0 ? [] : this.releases.slice(live);
    this.releases.push({ at: now, id, keys });
  }

  /**
   * Redis is (back) up: what this replica counted without it is added to the shared counters in
   * one script, and the slots it left there are handed back. If that fails, the counts go back
   * to memory for the next return.
   */
  private async merge(): Promise<void> {
    const moves = this.local.drain();
    const releases = this.releases;
    this.releases = [];
    if (moves.length === 0 && releases.length === 0) {
      return;
    }
    try {
      await this.send(moves, releases);
      this.logger.log(
        `Counts made while Redis was out added to it: ${moves.length} counters, ${releases.length} slots handed back`,
      );
    } catch (err) {
      this.local.settle(moves);
      this.releases = [...releases, ...this.releases];
      this.conn.commandFailed(err);
    }
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0 || !this.conn.available) {
      return;
    }
    const keys: string[] = [];
    const ids: string[] = [];
    for (const lease of this.held) {
      for (const key of lease.keys) {
        keys.push(key);
        ids.push(lease.id);
      }
    }
    try {
      await this.redis.gwLimitRenew(keys.length, ...keys, this.leaseMs, ...ids);
    } catch (err) {
      this.conn.commandFailed(err);
    }
  }
}

/** What an admission takes from each bucket and budget (slots aside), as corrections. */
function charges(rules: readonly LimitRule[], tokens: number): Adjustment[] {
  const taken: Adjustment[] = [];
  for (const rule of rules) {
    if (rule.kind === 'slots') {
      continue;
    }
    const cost = costOf(rule, tokens);
    if (cost > 0) {
      taken.push({ rule, delta: cost });
    }
  }
  return taken;
}

function unlimited(rule: LimitRule): RuleStanding {
  return { limit: rule.limit, remaining: rule.limit, resetMs: 0 };
}
