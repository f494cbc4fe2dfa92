import { Logger } from '@nestjs/common';
import { startRedis, type RedisServer } from '../../../test/support/redis';
import { startRedisProxy, type RedisProxy } from '../../../test/support/redis-proxy';
import { RedisCircuitStore } from './redis-circuit-store';
import { RedisConnection } from './redis-connection';
import { eventually } from '../../../test/support/eventually';

let redis: RedisServer;
let proxy: RedisProxy;
const connections: RedisConnection[] = [];
const stores: RedisCircuitStore[] = [];
let run = 0;

/**
 * Two replicas' circuit stores on one Redis prefix (re-reading the whole table every `refreshMs`),
 * the second one through {@link proxy} when `proxied`.
 */
async function replicas(
  refreshMs = 60_000,
  proxied = false,
): Promise<[RedisCircuitStore, RedisCircuitStore]> {
  const prefix = `circuit${++run}:`;
  const make = async (url: string): Promise<RedisCircuitStore> => {
    const conn = new RedisConnection(url, prefix);
    connections.push(conn);
    const ready = new Promise<void>((resolve) => conn.onReady(resolve));
    const store = new RedisCircuitStore(conn, refreshMs);
    stores.push(store);
    conn.start();
    await ready;
    return store;
  };
  const pair: [RedisCircuitStore, RedisCircuitStore] = [
    await make(redis.url),
    await make(proxied ? proxy.url : redis.url),
  ];
  // Both replicas listen before anything is benched (a missed message waits for the re-read).
  await eventually(async () => (await listeners()) === 2);
  return pair;
}

/** How many connections Redis has subscribed to the newest pair's change channel. */
async function listeners(): Promise<number> {
  const conn = connections.at(-2)!;
  const reply = (await conn.client.call('PUBSUB', 'NUMSUB', conn.key('circuit:changes'))) as [
    string,
    number,
  ];
  return reply[1];
}

beforeAll(async () => {
  Logger.overrideLogger(false);
  redis = await startRedis();
  proxy = await startRedisProxy(redis.port);
});
afterAll(async () => {
  stores.forEach((s) => s.close());
  await Promise.all(connections.map((c) => c.close()));
  await proxy.close();
  await redis.stop();
  Logger.overrideLogger(['error', 'warn', 'log']);
});

describe('RedisCircuitStore (real redis-server)', () => {
  it('shows a bench made through one replica on the other, never shortened by either', async () => {
    const [a, b] = await replicas();
    const until = Date.now() + 60_000;
    a.bench('vllm|m', { until, reason: 'rate_limited' });
    await eventually(() => b.get('vllm|m')?.until === until);
    expect(b.get('vllm|m')).toEqual({ until, reason: 'rate_limited' });
    // B benches shorter: Redis keeps the longer bench, and B's copy says so.
    b.bench('vllm|m', { until: Date.now() + 5_000, reason: 'failures' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.get('vllm|m')).toEqual({ until, reason: 'rate_limited' });
    expect(a.benches().get('vllm|m')).toEqual({ until, reason: 'rate_limited' });
  });

  it('lifts a bench on every replica, only for the reasons given', async () => {
    const [a, b] = await replicas();
    a.bench('x', { until: Date.now() + 60_000, reason: 'rate_limited' });
    a.bench('y', { until: Date.now() + 60_000, reason: 'unreachable' });
    await eventually(() => b.benches().size === 2);
    b.lift('x', ['unreachable']);
    b.lift('y', ['unreachable']);
    await eventually(() => a.get('y') === undefined);
    expect(a.get('x')?.reason).toBe('rate_limited');
    expect(b.get('x')?.reason).toBe('rate_limited');
  });

  it('adds up consecutive failures across replicas', async () => {
    const [a, b] = await replicas();
    expect(await a.addFailure('ollama', 60_000)).toBe(1);
    expect(await b.addFailure('ollama', 60_000)).toBe(2);
    a.resetFailures('ollama');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await b.addFailure('ollama', 60_000)).toBe(1);
  });

  // Before, ioredis re-subscribed by itself with a promise nobody handled: a connection lost
  // again before Redis answered rejected it, and Node ended the process (here: jest fails the
  // test); and the replica stayed deaf to the channel for good.
  it.each([
    ['lost with its connection', 'cut'],
    ['never answered', 'hold'],
  ] as const)(
    'subscribes again after a SUBSCRIBE %s, and hears benches again',
    async (_, fault) => {
      const [a, b] = await replicas(60_000, true); // No re-read: only the channel can tell B.
      const faulted = proxy.onNextSend(/SUBSCRIBE/i, fault);
      proxy.cut(/SUBSCRIBE/i); // B's subscriber only: its command connection stays up.
      await faulted;
      await eventually(async () => (await listeners()) === 2, 10_000);
      const until = Date.now() + 60_000;
      a.bench('vllm|m', { until, reason: 'failures' });
      await eventually(() => b.get('vllm|m')?.until === until);
    },
  );

  it('closes cleanly while a SUBSCRIBE is unanswered', async () => {
    await replicas(60_000, true);
    const conn = connections.at(-1)!;
    const unanswered = proxy.onNextSend(/SUBSCRIBE/i, 'hold');
    proxy.cut(/SUBSCRIBE/i);
    await unanswered;
    await conn.close(); // The SUBSCRIBE in flight fails: handled, nothing rejects unhandled.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await listeners()).toBe(1);
  });

  it('keeps benching through an outage and writes those benches back once Redis returns', async () => {
    // B may hear A's write-back before its subscription is back: its periodic re-read catches up.
    const [a, b] = await replicas(250);
    const conn = connections.at(-2)!;
    await redis.kill();
    await eventually(() => conn.state === 'unreachable');
    const until = Date.now() + 60_000;
    a.bench('openrouter|z', { until, reason: 'auth' });
    expect(a.get('openrouter|z')).toEqual({ until, reason: 'auth' });
    expect(await a.addFailure('openrouter', 60_000)).toBe(1); // Counted locally meanwhile.
    expect(b.get('openrouter|z')).toBeUndefined();
    await redis.restart(); // Empty: only what A writes back is there.
    await eventually(() => b.get('openrouter|z')?.until === until, 10_000);
    expect(b.get('openrouter|z')).toEqual({ until, reason: 'auth' });
  });
});
