import type { Redis } from 'ioredis';
import { CircuitStore, MemoryCircuitStore, type Bench, type BenchReason } from './circuit-store';
import type { RedisConnection } from './redis-connection';

// KEYS[1]: the benches hash. ARGV: field, until, reason, channel. Never shortens a bench in force;
// publishes the bench that results. Returns it as "until|reason".
const BENCH = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = redis.call('HGET', KEYS[1], ARGV[1])
local ends = tonumber(ARGV[2])
if current then
  local sep = string.find(current, '|', 1, true)
  local cends = tonumber(string.sub(current, 1, sep - 1))
  if cends > now and cends >= ends then
    return current
  end
end
local value = ARGV[2] .. '|' .. ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], value)
redis.call('PUBLISH', ARGV[4], ARGV[1] .. '\\n' .. value)
return value
`;

// KEYS[1]: the benches hash. ARGV: field, channel, then the reasons a lift may remove.
const LIFT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local reason = string.sub(current, string.find(current, '|', 1, true) + 1)
for i = 3, #ARGV do
  if ARGV[i] == reason then
    redis.call('HDEL', KEYS[1], ARGV[1])
    redis.call('PUBLISH', ARGV[2], ARGV[1] .. '\\n')
    return 1
  end
end
return 0
`;

// KEYS[1]: the failure counter. ARGV[1]: window ms. Counts one more failure within the window.
const FAIL = `
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return count
`;

type Scripted = Redis & {
  gwBench(numKeys: number, ...args: Array<string | number>): Promise<string>;
  gwLift(numKeys: number, ...args: string[]): Promise<number>;
  gwFail(numKeys: number, ...args: Array<string | number>): Promise<number>;
};

/** How often the whole bench table is re-read, in case a pub/sub message was lost. */
const DEFAULT_REFRESH_MS = 5_000;

/**
 * Circuit state in Redis, shared by every replica: a hash of benches (`until|reason` by key) and a
 * counter per backend for consecutive failures (INCR + PEXPIRE, so every replica's failures add up).
 *
 * Reads stay synchronous: each replica keeps a local copy of the bench table, a
 * {@link MemoryCircuitStore} (which also counts failures while Redis is out). A write goes to the
 * local copy at once and to Redis by a Lua script (a bench is never shortened there either), which
 * publishes the resulting bench on a channel; every replica applies what it hears to its copy. The
 * copy is re-read whole on every (re)connection and every few seconds, since pub/sub may drop a
 * message. While Redis is out the copy carries on alone; on reconnection, benches made meanwhile
 * are written to Redis (never shortening one there), then the table is re-read.
 */
export class RedisCircuitStore extends CircuitStore {
  private readonly local = new MemoryCircuitStore();
  private readonly redis: Scripted;
  private readonly hash: string;
  private readonly channel: string;
  private readonly refresh: NodeJS.Timeout;
  /** Changes applied to the local copy so far (a re-read that crossed one is stale). */
  private changes = 0;

  constructor(
    private readonly conn: RedisConnection,
    refreshMs = DEFAULT_REFRESH_MS,
  ) {
    super();
    this.hash = conn.key('circuit:benches');
    this.channel = conn.key('circuit:changes');
    conn.client.defineCommand('gwBench', { lua: BENCH });
    conn.client.defineCommand('gwLift', { lua: LIFT });
    conn.client.defineCommand('gwFail', { lua: FAIL });
    this.redis = conn.client as Scripted;
    conn.subscribe(this.channel, (message) => this.apply(message));
    conn.onReady(() => void this.resync());
    this.refresh = setInterval(() => void this.reload(), refreshMs);
    this.refresh.unref();
  }

  get(key: string, now = Date.now()): Bench | undefined {
    return this.local.get(key, now);
  }

  bench(key: string, bench: Bench): void {
    this.changes++;
    this.local.bench(key, bench);
    if (this.conn.available) {
      this.redis
        .gwBench(1, this.hash, key, bench.until, bench.reason, this.channel)
        .then((value) => this.apply(`${key}\n${value}`))
        .catch((err: unknown) => this.conn.commandFailed(err));
    }
  }

  lift(key: string, reasons: readonly BenchReason[]): void {
    this.changes++;
    this.local.lift(key, reasons);
    if (this.conn.available) {
      this.redis
        .gwLift(1, this.hash, key, this.channel, ...reasons)
        .catch((err: unknown) => this.conn.commandFailed(err));
    }
  }

  async addFailure(key: string, windowMs: number): Promise<number> {
    if (this.conn.available) {
      try {
        return await this.redis.gwFail(1, this.conn.key(`circuit:failures:${key}`), windowMs);
      } catch (err) {
        this.conn.commandFailed(err);
      }
    }
    this.conn.countFallback();
    return this.local.addFailure(key, windowMs);
  }

  resetFailures(key: string): void {
    this.local.resetFailures(key);
    if (this.conn.available) {
      this.conn.client
        .del(this.conn.key(`circuit:failures:${key}`))
        .catch((err: unknown) => this.conn.commandFailed(err));
    }
  }

  benches(now = Date.now()): ReadonlyMap<string, Bench> {
    return this.local.benches(now);
  }

  close(): void {
    clearInterval(this.refresh);
  }

  /** After a (re)connection: benches made meanwhile go to Redis, then the table is read back. */
  private async resync(): Promise<void> {
    const pending = [...this.local.benches()];
    try {
      await Promise.all(
        pending.map(([key, b]) =>
          this.redis.gwBench(1, this.hash, key, b.until, b.reason, this.channel),
        ),
      );
    } catch (err) {
      this.conn.commandFailed(err);
      return;
    }
    await this.reload();
  }

  /** Replaces the local copy with Redis's table, dropping (and deleting) benches that ended. */
  private async reload(): Promise<void> {
    if (!this.conn.available) {
      return;
    }
    const seen = this.changes;
    let table: Record<string, string>;
    try {
      table = await this.conn.client.hgetall(this.hash);
    } catch (err) {
      this.conn.commandFailed(err);
      return;
    }
    if (this.changes !== seen) {
      // A change arrived while the table was read (pub/sub runs on another connection): the
      // table may predate it, so read again rather than undo it.
      void this.reload();
      return;
    }
    const now = Date.now();
    const ended: string[] = [];
    const current: Array<[string, Bench]> = [];
    for (const [key, value] of Object.entries(table)) {
      const bench = parseBench(value);
      if (bench && bench.until > now) {
        current.push([key, bench]);
      } else {
        ended.push(key);
      }
    }
    this.local.replace(current);
    if (ended.length > 0) {
      this.conn.client.hdel(this.hash, ...ended).catch(() => undefined);
    }
  }

  /** A change heard on the channel (or a script's answer): `key\nuntil|reason`, or `key\n` for a lift. */
  private apply(message: string): void {
    const newline = message.indexOf('\n');
    if (newline < 0) {
      return;
    }
    const bench = parseBench(message.slice(newline + 1));
    this.changes++;
    this.local.put(
      message.slice(0, newline),
      bench && bench.until > Date.now() ? bench : undefined,
    );
  }
}

const REASONS: ReadonlySet<string> = new Set<BenchReason>([
  'failures',
  'unreachable',
  'rate_limited',
  'auth',
  'model_not_found',
]);

function parseBench(value: string): Bench | undefined {
  const sep = value.indexOf('|');
  const until = Number(value.slice(0, sep));
  const reason = value.slice(sep + 1);
  return sep > 0 && Number.isFinite(until) && REASONS.has(reason)
    ? { until, reason: reason as BenchReason }
    : undefined;
}
