import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { startRedis, type RedisServer } from '../../../test/support/redis';
import { startRedisProxy } from '../../../test/support/redis-proxy';
import {
  LimitStore,
  MemoryLimitStore,
  type Counted,
  type CountedRule,
  type LimitRule,
} from './limit-store';
import { RedisConnection } from './redis-connection';
import { RedisLimitStore, type RedisLimitStoreOptions } from './redis-limit-store';
import { eventually } from '../../../test/support/eventually';

// Periods long enough that refill during a test is negligible.
const HOUR = 3_600_000;
const rate = (
  key: string,
  limit: number,
  periodMs = HOUR,
  counts: Counted = 'requests',
): CountedRule => ({ kind: 'rate', key, limit, periodMs, counts });
const tokenRate = (key: string, limit: number, periodMs = HOUR): CountedRule =>
  rate(key, limit, periodMs, 'tokens');
const slots = (key: string, limit: number): LimitRule => ({ kind: 'slots', key, limit });
const budget = (key: string, limit: number): CountedRule => ({
  kind: 'budget',
  key,
  limit,
  endsAt: Date.now() + HOUR,
  counts: 'tokens',
});

let redis: RedisServer;
const connections: RedisConnection[] = [];
let run = 0;

/**
 * A replica: a RedisLimitStore on its own connection, once connected (closed in afterAll, if the
 * test has not). By default on the suite's Redis, under a prefix of its own, policy `local`.
 */
async function replica({
  url = redis.url,
  prefix = `spec${++run}:`,
  ...options
}: Partial<RedisLimitStoreOptions> & { url?: string; prefix?: string } = {}): Promise<{
  conn: RedisConnection;
  store: RedisLimitStore;
}> {
  const conn = new RedisConnection(url, prefix);
  connections.push(conn);
  const store = new RedisLimitStore(conn, { policy: 'local', ...options });
  const ready = new Promise<void>((resolve) => conn.onReady(resolve));
  conn.start();
  await ready;
  return { conn, store };
}

beforeAll(async () => {
  Logger.overrideLogger(false);
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await redis.stop();
  Logger.overrideLogger(['error', 'warn', 'log']);
});

describe.each([
  ['MemoryLimitStore', (): Promise<LimitStore> => Promise.resolve(new MemoryLimitStore())],
  ['RedisLimitStore', async (): Promise<LimitStore> => (await replica()).store],
])('%s', (_name, make) => {
  let sut: LimitStore;
  beforeEach(async () => {
    sut = await make();
  });

  it('admits a burst of the limit, then refuses with the time until one is back', async () => {
    const rule = rate('rpm', 3, 60_000);
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(await sut.admit([rule]));
    }
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, false]);
    expect(outcomes[2]).toMatchObject({ ok: true, standings: [{ limit: 3, remaining: 0 }] });
    const refused = outcomes[3] as { retryAfterMs: number; refused: number };
    expect(refused.refused).toBe(0);
    // One request comes back every 20 s.
    expect(refused.retryAfterMs).toBeGreaterThan(19_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(20_000);
  });

  it('charges all rules of an admission or none', async () => {
    const rules = [rate('all-or-none', 10), slots('all-or-none-slots', 1)];
    const first = await sut.admit(rules);
    expect(first.ok).toBe(true);
    const second = await sut.admit(rules);
    expect(second).toMatchObject({ ok: false, refused: 1 });
    // The refused admission took nothing from the bucket.
    expect((await sut.standings([rules[0]]))[0].remaining).toBe(9);
  });

  it('hands a slot back on settle, once', async () => {
    const rule = slots('conc', 2);
    const a = await sut.admit([rule]);
    const b = await sut.admit([rule]);
    expect((await sut.admit([rule])).ok).toBe(false);
    expect(a.ok && b.ok).toBe(true);
    await sut.settle([], a.ok ? a.lease : undefined);
    await sut.settle([], a.ok ? a.lease : undefined);
    expect((await sut.standings([rule]))[0]).toMatchObject({ remaining: 1 });
    expect((await sut.admit([rule])).ok).toBe(true);
    expect((await sut.admit([rule])).ok).toBe(false);
  });

  it('admits exactly K of many concurrent requests for K slots', async () => {
    const rule = slots('race', 3);
    const outcomes = await Promise.all(Array.from({ length: 40 }, async () => sut.admit([rule])));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
  });

  it('charges a rule counting requests 1 and one counting tokens the tokens of the admission', async () => {
    const rpm = rate('mixed-rpm', 10);
    const tpm = tokenRate('mixed-tpm', 1000);
    const admitted = await sut.admit([rpm, tpm], 250);
    expect(admitted.ok && admitted.standings.map((s) => s.remaining)).toEqual([9, 750]);
    // No tokens: the token rule is only checked, the request still counts.
    const checked = await sut.admit([rpm, tpm]);
    expect(checked.ok && checked.standings.map((s) => s.remaining)).toEqual([8, 750]);
  });

  it('settles a token estimate on the actual count, giving back or taking more', async () => {
    const tpm = tokenRate('tpm', 1000);
    expect((await sut.admit([tpm], 300)).ok).toBe(true);
    await sut.settle([{ rule: tpm, delta: -200 }]);
    expect((await sut.standings([tpm]))[0].remaining).toBe(900);
    await sut.settle([{ rule: tpm, delta: 1500 }]);
    // In debt: nothing left, and even a zero-cost check is refused.
    expect((await sut.standings([tpm]))[0].remaining).toBe(0);
    expect((await sut.admit([tpm], 0)).ok).toBe(false);
  });

  it('refuses a spent budget, even a zero-cost check, until the window ends', async () => {
    const day = budget('tpd', 100);
    expect((await sut.admit([day], 80)).ok).toBe(true);
    const over = await sut.admit([day], 30);
    expect(over).toMatchObject({ ok: false, refused: 0 });
    expect((over as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(HOUR - 10_000);
    expect((await sut.admit([day], 0)).ok).toBe(true);
    await sut.settle([{ rule: day, delta: 20 }]);
    expect((await sut.admit([day], 0)).ok).toBe(false);
    expect((await sut.standings([day]))[0]).toMatchObject({ limit: 100, remaining: 0 });
  });
});

describe('MemoryLimitStore.drain', () => {
  it('hands over what its buckets lack and its open budgets used, then forgets them, keeping slots', () => {
    let now = 1_000_000;
    const sut = new MemoryLimitStore(() => now);
    const counts = 'tokens';
    const rpm = rate('rpm', 60, 60_000);
    const day: LimitRule = { kind: 'budget', key: 'day', limit: 100, endsAt: now + HOUR, counts };
    const ended: LimitRule = { kind: 'budget', key: 'ended', limit: 100, endsAt: now + 1, counts };
    expect(sut.admit([rpm]).ok).toBe(true);
    expect(sut.admit([tokenRate('rpm', 60, 60_000)], 9).ok).toBe(true); // The same bucket.
    expect(sut.admit([day], 30).ok).toBe(true);
    expect(sut.admit([ended], 5).ok).toBe(true);
    expect(sut.admit([slots('conc', 1)]).ok).toBe(true);
    now += 2_000; // Two requests' worth refilled; the `ended` window is over.
    expect(sut.drain()).toEqual([
      { rule: { kind: 'rate', key: 'rpm', limit: 60, periodMs: 60_000, counts }, delta: 8 },
      {
        rule: { kind: 'budget', key: 'day', limit: 100, endsAt: now - 2_000 + HOUR, counts },
        delta: 30,
      },
    ]);
    expect(sut.drain()).toEqual([]);
    const fresh = sut.admit([rpm, day], 30);
    expect(fresh.ok && fresh.standings.map((s) => s.remaining)).toEqual([59, 70]);
    expect(sut.admit([slots('conc', 1)]).ok).toBe(false);
  });
});

describe('RedisLimitStore across an outage (persistent redis-server, killed and restarted)', () => {
  it('adds what each replica counted meanwhile to the shared counters once, and hands back the slots it left there', async () => {
    const server = await startRedis({ persistent: true });
    const shared = { url: server.url, prefix: 'outage:' };
    const { conn: connA, store: a } = await replica(shared);
    const { conn: connB, store: b } = await replica(shared);
    const { conn: connC, store: c } = await replica({ ...shared, policy: 'open' });
    const rpm = rate('rpm', 3);
    const day = budget('day', 1000);
    const conc = slots('conc', 1);
    const before = await a.admit([rpm, day, conc], 10);
    expect(before.ok).toBe(true);
    const lease = before.ok ? before.lease : undefined;
    expect(lease?.shared).toBe(true);

    await server.kill();
    await eventually(() => !connA.available && !connB.available);
    // Each replica admits from its own memory: a full bucket of 3 each.
    expect((await a.admit([rpm, day], 20)).ok).toBe(true);
    expect((await b.admit([rpm, day], 30)).ok).toBe(true);
    expect((await b.admit([rpm])).ok).toBe(true);
    expect((await c.admit([day], 7)).ok).toBe(true); // `open`: unchecked, but counted.
    // A's first request ends: 5 tokens more than its estimate, and its Redis slot to hand back.
    await a.settle([{ rule: day, delta: 5 }], lease);

    const redisDay = (): Promise<string | null> => connA.client.get(connA.key('day'));
    await server.restart();
    await eventually(() => connA.available && connB.available, 10_000);
    await eventually(async () => (await redisDay()) === String(10 + 20 + 30 + 7 + 5));
    const bucket = await connA.client.hget(connA.key('rpm'), 'l');
    expect(Number(bucket)).toBeCloseTo(3 - 1 - 1 - 2, 1);
    expect(await connA.client.zcard(connA.key('conc'))).toBe(0);
    // The next request is refused on both replicas: the outage spent the bucket.
    expect((await a.admit([rpm])).ok).toBe(false);
    expect((await b.admit([rpm])).ok).toBe(false);
    // The slot is free at once (not after its 30 s lease).
    expect((await b.admit([conc])).ok).toBe(true);
    // Once: nothing is added again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await redisDay()).toBe('72');
    for (const store of [a, b, c]) {
      store.close();
    }
    await Promise.all([connA, connB, connC].map((conn) => conn.close()));
    await server.stop();
  });
});

describe('RedisLimitStore with a hung Redis (redis-server stopped with SIGSTOP)', () => {
  it('answers every admission from local memory within the command timeout, drops the connection once, and shares again once Redis answers', async () => {
    const server = await startRedis();
    const { conn, store } = await replica({ url: server.url });
    try {
      const rule = rate('hung-rpm', 100);
      expect((await store.admit([rule])).ok).toBe(true);
      const drops = jest.spyOn(conn.client, 'disconnect');

      server.pause();
      const started = Date.now();
      // Many admissions in flight when Redis stops answering: each times out and falls back.
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => store.admit([rule])));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(conn.state).toBe('unreachable');
      expect(drops).toHaveBeenCalledTimes(1);
      expect(drops).toHaveBeenCalledWith(true); // Dropped to be remade, not closed.
      // Later admissions do not try the hung connection: served from local memory at once.
      const { fallbacks } = conn.counters;
      expect((await store.admit([rule])).ok).toBe(true);
      expect(conn.counters.fallbacks).toBe(fallbacks + 1);

      server.resume();
      await eventually(() => conn.available, 10_000);
      // Shared again: a slot is leased from Redis, not from local memory.
      await eventually(async () => {
        const outcome = await store.admit([slots('hung-slots', 100)]);
        return outcome.ok && outcome.lease?.shared === true;
      });
    } finally {
      store.close();
      await conn.close();
      await server.stop();
    }
  });
});

describe('RedisLimitStore across replicas', () => {
  it('frees the slots of a replica that stopped renewing them once their lease ends', async () => {
    const { conn: connA, store: a } = await replica({ leaseMs: 400 });
    const { store: b } = await replica({ prefix: connA.keyPrefix, leaseMs: 400 });
    const rule = slots('lease', 1);
    expect((await a.admit([rule])).ok).toBe(true);
    // A renews while it runs: the slot outlives its first lease.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await b.admit([rule])).ok).toBe(false);
    a.close(); // A "crashes": no more renewals.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await b.admit([rule])).ok).toBe(true);
    b.close();
  });

  it('hands back, once Redis answers again, a slot taken by an admission whose answer was lost', async () => {
    const proxy = await startRedisProxy(redis.port);
    const { conn: connB, store: b } = await replica();
    const { conn: connA, store: a } = await replica({ url: proxy.url, prefix: connB.keyPrefix });
    try {
      const rule = slots('lost-reply', 1);
      const slotsInRedis = (): Promise<number> => connB.client.zcard(connB.key('lost-reply'));

      const lost = proxy.onNextSend(/EVAL/i, 'lose-reply');
      const admitted = await a.admit([rule]);
      await lost;
      // A cannot know the script ran: it admits from local memory (policy `local`)...
      expect(admitted.ok && admitted.lease?.shared).toBe(false);
      // ...while Redis holds the slot it took, under a lease nobody renews.
      expect(await slotsInRedis()).toBe(1);
      expect((await b.admit([rule])).ok).toBe(false);
      await a.settle([], admitted.ok ? admitted.lease : undefined);

      // Handed back on A's return, not 30 s later when the lease runs out.
      await eventually(() => connA.available, 10_000);
      await eventually(async () => (await slotsInRedis()) === 0, 10_000);
      expect((await b.admit([rule])).ok).toBe(true);
    } finally {
      a.close();
      b.close();
      await connA.close();
      await proxy.close();
    }
  });

  it('falls back to local memory while Redis is out, by policy', async () => {
    const conn = new RedisConnection('redis://127.0.0.1:1', 'nowhere:');
    connections.push(conn);
    conn.start();
    const rule = rate('out', 1);
    const local = new RedisLimitStore(conn, { policy: 'local' });
    expect((await local.admit([rule])).ok).toBe(true);
    expect((await local.admit([rule])).ok).toBe(false);
    const open = new RedisLimitStore(conn, { policy: 'open' });
    expect((await open.admit([rule])).ok).toBe(true);
    expect((await open.admit([rule])).ok).toBe(true);
    const closed = new RedisLimitStore(conn, { policy: 'closed' });
    expect(await closed.admit([rule])).toEqual({ ok: false, unavailable: true });
    expect(conn.counters.fallbacks).toBe(5);
    for (const store of [local, open, closed]) {
      store.close();
    }
  });
});
