import { Logger } from '@nestjs/common';
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { startBackends, type FakeBackends } from './support/backends';
import { clearFaults, writeKeysFile } from './support/fixture';
import { startGateway, type RunningGateway } from './support/gateway';
import { startRedis, type RedisServer } from './support/redis';
import { eventually } from './support/eventually';

const KEYS = {
  rpm: 'sk-shared-rpm-0123456789abcdef',
  conc: 'sk-shared-conc-0123456789abcdef',
  budget: 'sk-shared-budget-0123456789abcdef',
  outage: 'sk-shared-outage-0123456789abcdef',
  busy: 'sk-shared-busy-0123456789abcdef',
  merge: 'sk-shared-merge-0123456789abcdef',
};

const KEYS_FILE = `
keys:
  - { name: rpm-team, key: ${KEYS.rpm}, limits: { requests_per_minute: 4 } }
  - { name: conc-team, key: ${KEYS.conc}, limits: { concurrent_requests: 2 } }
  - { name: budget-team, key: ${KEYS.budget}, limits: { tokens_per_month: 100 } }
  - { name: outage-team, key: ${KEYS.outage}, limits: { requests_per_minute: 2 } }
  - name: busy-team
    key: ${KEYS.busy}
    limits: { requests_per_minute: 1000, concurrent_requests: 50, tokens_per_minute: 100000 }
  - name: merge-team
    key: ${KEYS.merge}
    limits:
      tokens_per_day: 100000
      per_alias: { llama-4-scout: { tokens_per_month: 100000 } }
`;

const hello = {
  model: 'llama-4-scout',
  messages: [{ role: 'user', content: 'Reply with 5 words.' }],
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('two replicas sharing one Redis (e2e, real redis-server)', () => {
  let redis: RedisServer;
  let fakes: FakeBackends;
  let a: RunningGateway;
  let b: RunningGateway;
  const warn = jest.spyOn(Logger.prototype, 'warn');

  const chat = (
    gw: RunningGateway,
    key: string,
    body: Record<string, unknown> = hello,
  ): Promise<Response> =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const readyz = async (gw: RunningGateway): Promise<Record<string, any>> =>
    ((await (await fetch(`${gw.url}/readyz`)).json()) as { info: Record<string, any> }).info;

  beforeAll(async () => {
    // Persistent, as the compose file's: a restart keeps what was written before the kill.
    redis = await startRedis({ persistent: true });
    fakes = await startBackends();
    const env = {
      ...fakes.env,
      GATEWAY_API_KEYS_FILE: writeKeysFile(KEYS_FILE),
      BACKEND_HEALTH_INTERVAL_SECONDS: '3600',
      REDIS_URL: redis.url,
    };
    [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
    await eventually(async () => (await readyz(a)).store.redis === 'connected');
    await eventually(async () => (await readyz(b)).store.redis === 'connected');
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await fakes?.close();
    await redis?.stop();
    warn.mockRestore();
  });
  beforeEach(() => clearFaults(fakes.all(), { clearRequests: true }));

  it('holds one requests_per_minute across both: the sum admitted equals the limit', async () => {
    const statuses = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await chat(i % 2 === 0 ? a : b, KEYS.rpm)).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    expect(fakes.vllm.chatRequests()).toHaveLength(4);
  });

  it('holds one concurrent_requests across both, streams included', async () => {
    fakes.vllm.setFault({ kind: 'slow', delayMs: 500 });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        chat(i % 2 === 0 ? a : b, KEYS.conc, { ...hello, stream: true }).then(async (r) => {
          await r.text();
          return r.status;
        }),
      ),
    );
    expect(results.filter((s) => s === 200)).toHaveLength(2);
    expect(fakes.vllm.chatRequests()).toHaveLength(2);
    await sleep(100);
    const usage = (await (
      await fetch(`${b.url}/v1/usage`, { headers: { Authorization: `Bearer ${KEYS.conc}` } })
    ).json()) as Record<string, any>;
    expect(usage).toMatchObject({
      shared: true,
      limits: { concurrent_requests: { used: 0, remaining: 2 } },
    });
  });

  it('refuses a spent budget on both replicas', async () => {
    const first = await chat(a, KEYS.budget, {
      ...hello,
      messages: [{ role: 'user', content: 'Reply with 150 words.' }],
    });
    expect(first.status).toBe(200);
    await sleep(100);
    for (const gw of [a, b]) {
      const res = await chat(gw, KEYS.budget);
      expect(res.status).toBe(429);
      expect((await res.json()).error.code).toBe('insufficient_quota');
    }
    expect(fakes.vllm.chatRequests()).toHaveLength(1);
  });

  it('skips on one replica a backend benched through the other', async () => {
    // vLLM answers A with a 429: A benches (vllm, that model) for 60 s.
    fakes.vllm.setFault({ kind: 'status', status: 429, retryAfter: 60, times: 1 });
    const viaA = await chat(a, KEYS.rpm.replace('rpm', 'conc'));
    expect(viaA.status).toBe(200);
    expect(viaA.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    await eventually(
      async () =>
        (await readyz(b)).benched[
          'vllm|RedHatAI/Llama-4-Scout-17B-16E-Instruct-quantized.w4a16'
        ] !== undefined,
    );
    const viaB = await chat(b, KEYS.conc);
    expect(viaB.status).toBe(200);
    expect(viaB.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    // Only A's first call reached vLLM.
    expect(fakes.vllm.chatRequests()).toHaveLength(1);
  });

  it('keeps serving through a Redis outage (local policy), says so in /readyz, logs it once, then adds what was counted meanwhile to Redis', async () => {
    warn.mockClear();
    const tokensOf = async (res: Response): Promise<number> => {
      expect(res.status).toBe(200);
      return ((await res.json()) as { usage: { total_tokens: number } }).usage.total_tokens;
    };
    // Counted in Redis before the outage.
    const before = await tokensOf(await chat(a, KEYS.merge));
    // Traffic in flight (holding slots and token reservations in Redis) while Redis dies.
    fakes.vllm.setFault({ kind: 'slow', delayMs: 400 });
    const inFlight = Array.from({ length: 8 }, (_, i) =>
      chat(i % 2 === 0 ? a : b, KEYS.busy, { ...hello, stream: i % 4 === 0 }).then(async (r) => {
        await r.text();
        return r.status;
      }),
    );
    await sleep(150);
    await redis.kill();
    expect(await Promise.all(inFlight)).toEqual(Array(8).fill(200));
    fakes.vllm.setFault(null);
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await chat(i % 2 === 0 ? a : b, KEYS.outage)).status);
    }
    // Each replica now enforces requests_per_minute = 2 on its own: nothing is lost, nothing fails.
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect((await chat(a, KEYS.outage)).status).toBe(429);
    const during =
      (await tokensOf(await chat(a, KEYS.merge))) + (await tokensOf(await chat(b, KEYS.merge)));
    const ready = await fetch(`${a.url}/readyz`);
    expect(ready.status).toBe(200);
    const info = ((await ready.json()) as { info: Record<string, any> }).info;
    expect(info.store).toMatchObject({
      status: 'up',
      mode: 'redis',
      redis: 'unreachable',
      outages: 1,
    });
    expect(info.store.fallbacks).toBeGreaterThan(0);
    const outageLogs = warn.mock.calls.filter(([message]) =>
      /Redis unreachable/.test(String(message)),
    );
    // Once per replica, however many requests fell back.
    expect(outageLogs).toHaveLength(2);
    const metrics = await (await fetch(a.metricsUrl)).text();
    expect(metrics).toMatch(/^gateway_state_store_redis_up 0$/m);
    expect(metrics).toMatch(/^gateway_state_store_redis_outages 1$/m);

    await sleep(50); // The last responses settle on their usage.
    await redis.restart();
    await eventually(async () => (await readyz(a)).store.redis === 'connected', 10_000);
    await eventually(async () => (await readyz(b)).store.redis === 'connected', 10_000);
    const direct = new Redis(redis.url);
    try {
      const day = new Date().toISOString().slice(0, 10);
      const month = day.slice(0, 7);
      const dayKey = `dgx-gw:lim:{merge-team}:*:tpd:${day}`;
      // Both replicas' outage tokens are added to what Redis had: the key-wide day budget and
      // the alias's month budget, exactly.
      await eventually(async () => Number(await direct.get(dayKey)) === before + during);
      expect(Number(await direct.get(`dgx-gw:lim:{merge-team}:llama-4-scout:tpmo:${month}`))).toBe(
        before + during,
      );
      // The 4 requests the replicas admitted on their own are in the shared bucket of 2 a minute
      // (2 − 4, plus what refilled since: a request per 30 s), so the key is refused on both;
      // without them the bucket would be full (the key sent nothing before the outage).
      const rpm = Number(await direct.hget('dgx-gw:lim:{outage-team}:*:rpm', 'l'));
      expect(rpm).toBeLessThan(-1);
      for (const gw of [a, b]) {
        expect((await chat(gw, KEYS.outage)).status).toBe(429);
      }
      // Added once.
      await sleep(300);
      expect(Number(await direct.get(dayKey))).toBe(before + during);
    } finally {
      direct.disconnect();
    }
  });
});
