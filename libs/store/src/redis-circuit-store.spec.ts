import { Logger } from '@nestjs/common';
import { startRedis, type RedisServer } from '../../../test/support/redis';
import { RedisCircuitStore } from './redis-circuit-store';
import { RedisConnection } from './redis-connection';
import { eventually } from '../../../test/support/eventually';

let redis: RedisServer;
const connections: RedisConnection[] = [];
const stores: RedisCircuitStore[] = [];
let run = 0;

/** Two replicas' circuit stores on one Redis prefix (re-reading the whole table every `refreshMs`). */
async function replicas(refreshMs = 60_000): Promise<[RedisCircuitStore, RedisCircuitStore]> {
  const prefix = `circuit${++run}:`;
  const make = async (): Promise<RedisCircuitStore> => {
    const conn = new RedisConnection(redis.url, prefix);
    connections.push(conn);
    const ready = new Promise<void>((resolve) => conn.onReady(resolve));
    const store = new RedisCircuitStore(conn, refreshMs);
    stores.push(store);
    conn.start();
    await ready;
    return store;
  };
  const pair: [RedisCircuitStore, RedisCircuitStore] = [await make(), await make()];
  // Both replicas listen before anything is benched (a missed message waits for the re-read).
  const conn = connections.at(-1)!;
  await eventually(async () => {
    const reply = (await conn.client.call('PUBSUB', 'NUMSUB', conn.key('circuit:changes'))) as [
      string,
      number,
    ];
    return reply[1] === 2;
  });
  return pair;
}

beforeAll(async () => {
  Logger.overrideLogger(false);
  redis = await startRedis();
});
afterAll(async () => {
  stores.forEach((s) => s.close());
  await Promise.all(connections.map((c) => c.close()));
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
