import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './deploy/deploy-files';
import { buildIfNeeded, GATEWAY_MAIN } from './support/build';
import { startBackends, type FakeBackends } from './support/backends';
import { writeKeysFile } from './support/fixture';
import { freePort } from './support/ports';
import { Redis } from 'ioredis';
import { eventually } from './support/eventually';
import { startRedis, type RedisServer } from './support/redis';
import { startRedisProxy, type RedisProxy } from './support/redis-proxy';

const ROOT = repoRoot();
const KEY = 'sk-processes-0123456789abcdef';
const BUDGET_KEY = 'sk-processes-budget-0123456789';
const FREE_KEY = 'sk-processes-free-0123456789ab';
const CHAOS_KEY = 'sk-processes-chaos-01234567890';
const SCOUT_HOP = 'vllm|RedHatAI/Llama-4-Scout-17B-16E-Instruct-quantized.w4a16';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const info = ((await (await fetch(`${url}/readyz`)).json()) as { info: Record<string, any> })
        .info;
      if (info.store?.redis === 'connected') {
        return;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} never became ready with Redis`);
}

/**
 * The built gateway as its own process (what Kubernetes runs), sharing Redis with its twin; the
 * second process reaches Redis through a TCP proxy that can drop its connections.
 */
describe('two gateway processes on one Redis (e2e, built gateway, real redis-server)', () => {
  let redis: RedisServer;
  let proxy: RedisProxy;
  let fakes: FakeBackends;
  const processes: ChildProcess[] = [];
  const urls: string[] = [];

  const chat = (
    url: string,
    key: string,
    content = 'Reply with 5 words.',
    stream = false,
  ): Promise<Response> =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'llama-4-scout',
        stream,
        messages: [{ role: 'user', content }],
      }),
      signal: AbortSignal.timeout(15_000), // A hung request fails its test instead of stalling it.
    });
  const upstreamCalls = (): number =>
    fakes.all().reduce((n, fake) => n + fake.chatRequests().length, 0);

  beforeAll(async () => {
    // The demo's rule: build when dist is missing or older than any source.
    expect(buildIfNeeded()).toBe(0);
    redis = await startRedis();
    proxy = await startRedisProxy(redis.port);
    fakes = await startBackends();
    const keysFile = writeKeysFile(
      `keys:\n  - { name: shared, key: ${KEY}, limits: { requests_per_minute: 5 } }\n` +
        `  - { name: budget, key: ${BUDGET_KEY}, limits: { tokens_per_day: 100 } }\n` +
        `  - { name: free, key: ${FREE_KEY} }\n` +
        `  - { name: chaos, key: ${CHAOS_KEY}, limits: { concurrent_requests: 4, requests_per_minute: 100000 } }\n`,
    );
    for (let i = 0; i < 2; i++) {
      const [port, metrics] = [await freePort(), await freePort()];
      const child = spawn(process.execPath, [GATEWAY_MAIN], {
        cwd: ROOT,
        env: {
          ...process.env,
          ...fakes.env,
          PORT: String(port),
          METRICS_PORT: String(metrics),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'error',
          GATEWAY_API_KEYS_FILE: keysFile,
          BACKEND_HEALTH_INTERVAL_SECONDS: '3600',
          REDIS_URL: i === 0 ? redis.url : proxy.url,
        },
        stdio: 'ignore',
      });
      processes.push(child);
      urls.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all(urls.map(waitReady));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(
      processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) {
              resolve();
              return;
            }
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    await fakes?.close();
    await proxy?.close();
    await redis?.stop();
  });

  it('admits, across both processes, exactly requests_per_minute', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => chat(urls[i % 2], KEY).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    expect(fakes.vllm.chatRequests()).toHaveLength(5);
  });

  it('refuses a budget spent through one process on the other', async () => {
    expect((await chat(urls[0], BUDGET_KEY, 'Reply with 150 words.')).status).toBe(200);
    await sleep(100);
    const other = await chat(urls[1], BUDGET_KEY);
    expect(other.status).toBe(429);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe(
      'insufficient_quota',
    );
  });

  // Before, a connection lost in the middle of ioredis's own re-SUBSCRIBE ended the process (an
  // unhandled rejection). The next test then proves the second process hears benches again.
  it('keeps serving while its Redis connections drop, one in the middle of SUBSCRIBE', async () => {
    const observer = new Redis(redis.url);
    const subscribers = async (): Promise<number> =>
      ((await observer.call('PUBSUB', 'NUMSUB', 'dgx-gw:circuit:changes')) as [string, number])[1];
    try {
      fakes.all().forEach((fake) => fake.clearRequests());
      expect(await subscribers()).toBe(2);
      const cutMidSubscribe = proxy.onNextSend(/SUBSCRIBE/i, 'cut');
      proxy.cut(); // Every connection of the second process.
      let faulted = false;
      void cutMidSubscribe.then(() => (faulted = true));
      // Traffic through the drops, until the process has subscribed again after the fault.
      const statuses: number[] = [];
      while (!faulted || (await subscribers()) !== 2) {
        expect(statuses.length).toBeLessThan(2_000);
        statuses.push((await chat(urls[1], FREE_KEY)).status);
      }
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(upstreamCalls()).toBe(statuses.length); // Each one served by a backend, once.
      expect(processes[1].exitCode).toBeNull();
    } finally {
      observer.disconnect();
    }
  });

  it('skips on one process a backend model benched through the other', async () => {
    fakes.vllm.clearRequests();
    fakes.vllm.setFault({ kind: 'status', status: 429, retryAfter: 60, times: 1 });
    const viaFirst = await chat(urls[0], FREE_KEY);
    expect(viaFirst.status).toBe(200);
    expect(viaFirst.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    for (let i = 0; i < 100; i++) {
      const info = (
        (await (await fetch(`${urls[1]}/readyz`)).json()) as { info: Record<string, any> }
      ).info;
      if (info.benched[SCOUT_HOP]) {
        break;
      }
      await sleep(25);
    }
    const viaSecond = await chat(urls[1], FREE_KEY);
    expect(viaSecond.status).toBe(200);
    expect(viaSecond.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    // Only the first process's call reached vLLM; the second skipped it.
    expect(fakes.vllm.chatRequests()).toHaveLength(1);
  });
  // Every Redis fault the gateway claims to survive, one after another under traffic: the
  // connections cut, one in the middle of SUBSCRIBE; Redis killed (back empty), then hung
  // (SIGSTOP); a script cut before it ran; a script's reply lost after it ran (its slot must come
  // back without waiting out the 30 s lease); a connection frozen mid-script.
  it('serves through every Redis fault in turn, loses no request and leaks no slot', async () => {
    const faults: Array<() => void | Promise<void>> = [
      () => proxy.cut(),
      () => (void proxy.onNextSend(/SUBSCRIBE/i, 'cut'), proxy.cut()),
      async () => (await redis.kill(), await sleep(500), await redis.restart()),
      async () => (redis.pause(), await sleep(1_000), redis.resume()),
      () => void proxy.onNextSend(/EVAL/i, 'cut'),
      () => void proxy.onNextSend(/EVAL/i, 'lose-reply'),
      () => void proxy.onNextSend(/EVAL/i, 'hold'),
    ];
    fakes.all().forEach((fake) => fake.clearRequests());
    const outcomes = new Map<string, number>();
    const count = (outcome: string): void => {
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    };
    let running = true;
    const client = async (stream: boolean): Promise<void> => {
      while (running) {
        try {
          const res = await chat(urls[1], CHAOS_KEY, 'Hi', stream);
          const text = await res.text();
          const complete = stream
            ? text.trimEnd().endsWith('data: [DONE]')
            : text.includes('"choices"');
          const code =
            res.status === 200
              ? ''
              : ((JSON.parse(text) as { error?: { code?: string } }).error?.code ?? 'no envelope');
          count(res.status === 200 ? (complete ? 'ok' : 'incomplete') : `${res.status} ${code}`);
        } catch (err) {
          count(`lost: ${(err as Error).name}`);
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, i) => client(i % 2 === 0));
    for (const fault of faults) {
      await fault();
      await sleep(700);
    }
    running = false;
    await Promise.all(clients);

    expect(processes[1].exitCode).toBeNull();
    // Served, or refused for the key's 4 concurrent slots: nothing else.
    const served = ['ok', '429 rate_limit_exceeded'];
    expect([...outcomes].filter(([outcome]) => !served.includes(outcome))).toEqual([]);
    expect(outcomes.get('ok')).toBeGreaterThan(50);
    // One upstream call per request served; none for a refused one.
    expect(upstreamCalls()).toBe(outcomes.get('ok'));
    // Shared again, and every slot back: none is held by a request that ended.
    await waitReady(urls[1]);
    await eventually(async () => {
      const usage = (await (
        await fetch(`${urls[1]}/v1/usage`, { headers: { Authorization: `Bearer ${CHAOS_KEY}` } })
      ).json()) as { limits: { concurrent_requests: { used: number } } };
      return usage.limits.concurrent_requests.used === 0;
    }, 10_000);
  }, 60_000);
});
