import OpenAI, { RateLimitError } from 'openai';
import { LimitStore, type LimitRule } from '@app/store';
import { sseEvents, type FakeBackends } from './support/backends';
import {
  clearFaults,
  startGatewayOnFakes,
  stopGatewayOnFakes,
  writeKeysFile,
} from './support/fixture';
import type { RunningGateway } from './support/gateway';

/** Takes a key's requests_per_minute bucket (as the gateway keys it) one request at a time until none is left. */
async function emptyRequestBucket(
  store: LimitStore,
  keyName: string,
  limit: number,
): Promise<void> {
  const rpm: LimitRule = {
    kind: 'rate',
    key: `lim:{${keyName}}:*:rpm`,
    limit,
    periodMs: 60_000,
    counts: 'requests',
  };
  while ((await store.admit([rpm])).ok) {
    // One more request taken.
  }
}

const KEYS = {
  rpm: 'sk-limits-rpm-0123456789abcdef',
  conc: 'sk-limits-conc-0123456789abcdef',
  tokens: 'sk-limits-tokens-0123456789abcdef',
  budget: 'sk-limits-budget-0123456789abcdef',
  alias: 'sk-limits-alias-0123456789abcdef',
  sdk: 'sk-limits-sdk-0123456789abcdef',
  free: 'sk-limits-free-0123456789abcdef',
  heads: 'sk-limits-heads-0123456789abcdef',
  large: 'sk-limits-large-0123456789abcdef',
};

const KEYS_FILE = `
alias_groups:
  cloud: [gpt-5.5-pro, claude-opus-4.7]
defaults:
  limits:
    requests_per_minute: 1000
keys:
  - { name: rpm-team, key: ${KEYS.rpm}, limits: { requests_per_minute: 3 } }
  - { name: conc-team, key: ${KEYS.conc}, limits: { concurrent_requests: 2 } }
  - { name: tokens-team, key: ${KEYS.tokens}, limits: { tokens_per_minute: 5000 } }
  - { name: budget-team, key: ${KEYS.budget}, limits: { tokens_per_day: 150 } }
  - name: alias-team
    key: ${KEYS.alias}
    limits:
      per_alias:
        cloud: { requests_per_minute: 1 }
        llama-4-scout: { concurrent_requests: 5 }
  - { name: sdk-team, key: ${KEYS.sdk}, limits: { requests_per_minute: 60 } }
  - { name: free-team, key: ${KEYS.free}, limits: { requests_per_minute: null } }
  - name: heads-team
    key: ${KEYS.heads}
    limits:
      requests_per_minute: 50
      tokens_per_minute: 100000
      per_alias: { llama-4-scout: { requests_per_minute: 100 } }
  - name: large-team
    key: ${KEYS.large}
    limits: { per_alias: { llama-4-scout: { tokens_per_minute: 1000 } } }
`;

describe('per-key limits (e2e, in-memory store)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;

  const hello = { messages: [{ role: 'user' as const, content: 'Reply with 12 words.' }] };
  const chat = (key: string, body: Record<string, unknown>): Promise<Response> =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const usage = async (key: string): Promise<Record<string, any>> =>
    (await (
      await fetch(`${gw.url}/v1/usage`, { headers: { Authorization: `Bearer ${key}` } })
    ).json()) as Record<string, any>;
  const upstreamCalls = (): number =>
    fakes.all().reduce((n, sim) => n + sim.chatRequests().length, 0);

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes({
      GATEWAY_API_KEYS_FILE: writeKeysFile(KEYS_FILE),
      BACKEND_HEALTH_INTERVAL_SECONDS: '3600',
    }));
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));
  beforeEach(() => clearFaults(fakes.all(), { clearRequests: true }));

  it('answers 429 rate_limit_exceeded past requests_per_minute, with Retry-After and the x-ratelimit headers, forwarding nothing', async () => {
    const served = [];
    for (let i = 0; i < 3; i++) {
      served.push(await chat(KEYS.rpm, { model: 'llama-4-scout', ...hello }));
    }
    expect(served.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(served[0].headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(served.map((r) => r.headers.get('x-ratelimit-remaining-requests'))).toEqual([
      '2',
      '1',
      '0',
    ]);
    expect(served[2].headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?\d+(\.\d)?s$/);
    expect(upstreamCalls()).toBe(3);

    const refused = await chat(KEYS.rpm, { model: 'llama-4-scout', ...hello });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(19);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(await refused.json()).toEqual({
      error: {
        message: expect.stringMatching(/requests_per_minute \(3\) of key 'rpm-team'/),
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    expect(upstreamCalls()).toBe(3);
  });

  it('puts both x-ratelimit trios, from the tightest limit, on every response once the key is admitted', async () => {
    const expectTrios = (res: Response, what: string): void => {
      const trios = Object.fromEntries(
        ['limit', 'remaining', 'reset'].flatMap((part) =>
          ['requests', 'tokens'].map((of) => [
            `${part}-${of}`,
            res.headers.get(`x-ratelimit-${part}-${of}`),
          ]),
        ),
      );
      // The key-wide 50 a minute is tighter than the alias's 100: it speaks.
      expect({ what, ...trios }).toEqual({
        what,
        'limit-requests': '50',
        'remaining-requests': expect.stringMatching(/^\d+$/),
        'reset-requests': expect.stringMatching(/^(\d+m)?\d+(\.\d)?m?s$/),
        'limit-tokens': '100000',
        'remaining-tokens': expect.stringMatching(/^\d+$/),
        'reset-tokens': expect.stringMatching(/^(\d+m)?\d+(\.\d)?m?s$/),
      });
    };
    const scout = { model: 'llama-4-scout', ...hello };
    const json = await chat(KEYS.heads, scout);
    expect(json.status).toBe(200);
    expectTrios(json, 'json');
    expect(json.headers.get('x-ratelimit-remaining-requests')).toBe('49');
    const stream = await chat(KEYS.heads, { ...scout, stream: true });
    expect(stream.status).toBe(200);
    expectTrios(stream, 'stream');
    expect((await sseEvents(stream)).at(-1)).toBe('[DONE]');
    const responses = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEYS.heads}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-4-scout', input: 'Reply with 3 words.' }),
    });
    expect(responses.status).toBe(200);
    expectTrios(responses, 'responses');
    const image = await fetch(`${gw.url}/v1/images/generations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEYS.heads}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'nano-banana', prompt: 'A red fox in the snow' }),
    });
    expect(image.status).toBe(200);
    expectTrios(image, 'image');
    const invalid = await chat(KEYS.heads, { model: 'llama-4-scout', messages: 'hello' });
    expect(invalid.status).toBe(400);
    expectTrios(invalid, 'invalid body');
    const unknown = await chat(KEYS.heads, { ...scout, model: 'no-such-model' });
    expect(unknown.status).toBe(404);
    expectTrios(unknown, 'unknown model');
    for (const sim of fakes.all()) {
      sim.setFault({ kind: 'status', status: 500, times: 1 });
    }
    const failed = await chat(KEYS.heads, scout);
    expect(failed.status).toBeGreaterThanOrEqual(502);
    expectTrios(failed, 'upstream failure');
    // Empty the key's bucket.
    await emptyRequestBucket(gw.app.get(LimitStore), 'heads-team', 50);
    const refused = await chat(KEYS.heads, scout);
    expect(refused.status).toBe(429);
    expectTrios(refused, 'refused');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    // Sent only for the requests that passed admission and had a backend to try.
    expect(fakes.vllm.chatRequests().length).toBeGreaterThanOrEqual(3);
  });

  it('reports the token limit on a request refused as larger than it', async () => {
    const res = await chat(KEYS.large, { model: 'llama-4-scout', max_tokens: 5000, ...hello });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    expect(res.headers.get('x-ratelimit-remaining-tokens')).toBe('1000');
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('1000');
    expect(upstreamCalls()).toBe(0);
  });

  it('keeps a key without limits free of limit headers, and lets a key lift a default with null', async () => {
    const res = await chat(KEYS.free, { model: 'llama-4-scout', ...hello });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBeNull();
    expect((await usage(KEYS.free)).limits).toEqual({});
  });

  it('holds concurrent_requests with streams, admitting exactly K of many, and hands every slot back', async () => {
    fakes.vllm.setFault({ kind: 'slow', delayMs: 400 });
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        chat(KEYS.conc, { model: 'llama-4-scout', stream: true, ...hello }).then(async (r) => ({
          status: r.status,
          events: r.status === 200 ? await sseEvents(r) : [],
          code: r.status === 200 ? undefined : (await r.json()).error.code,
        })),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(results.filter((r) => r.status === 429).map((r) => r.code)).toEqual(
      Array(6).fill('rate_limit_exceeded'),
    );
    for (const ok of results.filter((r) => r.status === 200)) {
      expect(ok.events.at(-1)).toBe('[DONE]');
    }
    expect(fakes.vllm.chatRequests()).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await usage(KEYS.conc)).limits.concurrent_requests).toMatchObject({
      limit: 2,
      used: 0,
      remaining: 2,
    });
  });

  it('hands the slot back when the client leaves mid-request', async () => {
    fakes.vllm.setFault({ kind: 'slow', delayMs: 2000 });
    const controller = new AbortController();
    const pending = chat(KEYS.conc, { model: 'llama-4-scout', ...hello });
    const leaving = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEYS.conc}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-4-scout', ...hello }),
      signal: controller.signal,
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await usage(KEYS.conc)).limits.concurrent_requests.used).toBe(2);
    controller.abort();
    await leaving;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await usage(KEYS.conc)).limits.concurrent_requests.used).toBe(1);
    fakes.vllm.setFault(null);
    expect((await pending).status).toBe(200);
  });

  it('charges tokens_per_minute on the estimate and settles it on the real usage', async () => {
    const res = await chat(KEYS.tokens, { model: 'llama-4-scout', max_tokens: 2000, ...hello });
    expect(res.status).toBe(200);
    // Admitted on the estimate: the prompt (~10) plus the 2,000 completion tokens asked for.
    const remainingAtAdmission = Number(res.headers.get('x-ratelimit-remaining-tokens'));
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('5000');
    expect(remainingAtAdmission).toBeLessThanOrEqual(3000);
    const body = (await res.json()) as { usage: { total_tokens: number } };
    await new Promise((resolve) => setTimeout(resolve, 50));
    const used = (await usage(KEYS.tokens)).limits.tokens_per_minute.used as number;
    // Settled on what the backend reported (the bucket refills a token every 12 ms meanwhile).
    expect(used).toBeLessThanOrEqual(body.usage.total_tokens);
    expect(used).toBeGreaterThanOrEqual(body.usage.total_tokens - 20);
  });

  it('answers 429 insufficient_quota once tokens_per_day is spent, before reading the body, and tells SDKs not to retry', async () => {
    // Admitted (the estimate fits), then settled on 200 completion tokens: the day is overspent.
    const first = await chat(KEYS.budget, {
      model: 'llama-4-scout',
      messages: [{ role: 'user', content: 'Reply with 200 words.' }],
    });
    expect(first.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Refused before its body is read: a body that is not even JSON gets the 429, not a 400.
    const second = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEYS.budget}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(second.status).toBe(429);
    expect((await second.json()).error).toMatchObject({
      code: 'insufficient_quota',
      message: expect.stringMatching(/tokens_per_day \(150\) of key 'budget-team'/),
    });
    expect(second.headers.get('x-should-retry')).toBe('false');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(upstreamCalls()).toBe(1);
    const standing = (await usage(KEYS.budget)).limits.tokens_per_day;
    expect(standing.window).toBe(new Date().toISOString().slice(0, 10));
    expect(standing.resets_at).toBe(
      new Date(
        Date.UTC(
          new Date().getUTCFullYear(),
          new Date().getUTCMonth(),
          new Date().getUTCDate() + 1,
        ),
      ).toISOString(),
    );
  });

  it('counts an alias group together, and leaves other aliases alone', async () => {
    expect((await chat(KEYS.alias, { model: 'gpt-5.5-pro', ...hello })).status).toBe(200);
    const refused = await chat(KEYS.alias, { model: 'claude-opus-4.7', ...hello });
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.message).toMatch(/alias group 'cloud'/);
    expect((await chat(KEYS.alias, { model: 'llama-4-scout', ...hello })).status).toBe(200);
    const report = await usage(KEYS.alias);
    expect(report).toMatchObject({
      object: 'gateway.usage',
      key: 'alias-team',
      shared: false,
      limits: { requests_per_minute: { limit: 1000 } },
    });
    expect(report.per_alias).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          scope: 'cloud',
          aliases: ['gpt-5.5-pro', 'claude-opus-4.7'],
          limits: { requests_per_minute: expect.objectContaining({ limit: 1, remaining: 0 }) },
        }),
      ]),
    );
  });

  it('makes the openai SDK raise RateLimitError, and its retries wait for Retry-After', async () => {
    // Empty the sdk-team bucket (60/min: one request back per second).
    await emptyRequestBucket(gw.app.get(LimitStore), 'sdk-team', 60);
    const noRetry = new OpenAI({ apiKey: KEYS.sdk, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const error = await noRetry.chat.completions
      .create({ model: 'llama-4-scout', messages: hello.messages })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).code).toBe('rate_limit_exceeded');

    const retrying = new OpenAI({ apiKey: KEYS.sdk, baseURL: `${gw.url}/v1`, maxRetries: 2 });
    const started = Date.now();
    const completion = await retrying.chat.completions.create({
      model: 'llama-4-scout',
      messages: hello.messages,
    });
    expect(completion.choices[0].message.content).toBeTruthy();
    // The gateway said when (retry-after-ms); the SDK waited that long, not its own backoff.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(fakes.vllm.chatRequests()).toHaveLength(1);
  });
});
