import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayConfig, KeyLimits } from '@app/config';
import type { ChatCompletionRequest } from '@app/contracts';
import { MemoryLimitStore, type Adjustment, type LimitStore, type SlotLease } from '@app/store';
import type { RequestRecord } from '@app/telemetry';
import { LimitPlan } from './limit-plan';
import { LimitsService } from './limits.service';
import { formatDuration } from './rate-limit-headers';

/** A response that records its headers and can be "closed" like Node's. */
function fakeResponse(record?: Partial<RequestRecord>): ServerResponse & { closeNow(): void } {
  const res = new EventEmitter() as ServerResponse & { closeNow(): void };
  const headers: Record<string, string> = {};
  Object.assign(res, {
    statusCode: 200,
    headersSent: false,
    req: { id: 'req-1', record } as unknown as IncomingMessage,
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
    getHeader: (name: string) => headers[name.toLowerCase()],
    closeNow: () => res.emit('close'),
  });
  return res;
}

const config = {
  limits: { groups: { cloud: ['gpt-5.5-pro', 'claude-opus-4.7'] }, redis_failure_policy: 'local' },
} as unknown as GatewayConfig;

const request = (maxTokens?: number): ChatCompletionRequest => ({
  model: 'gpt-5.5-pro',
  messages: [{ role: 'user', content: 'x'.repeat(400) }],
  ...(maxTokens !== undefined && { max_tokens: maxTokens }),
});

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What a synchronous admission threw. */
function refusalOf(admission: () => unknown): unknown {
  try {
    admission();
  } catch (err) {
    return err;
  }
  throw new Error('admitted');
}

describe('LimitsService', () => {
  let store: MemoryLimitStore;
  let settles: Array<{ adjustments: readonly Adjustment[]; lease?: SlotLease }>;
  let sut: LimitsService;

  beforeEach(() => {
    store = new MemoryLimitStore();
    settles = [];
    const settle = store.settle.bind(store);
    store.settle = (adjustments, lease) => {
      settles.push({ adjustments, lease });
      return settle(adjustments, lease);
    };
    sut = new LimitsService(store, config);
  });

  const principal = (limits: KeyLimits) => ({ keyName: 'team-a', limits });

  it('hands the slots back once when the response closes, however often close fires', async () => {
    const who = principal({
      concurrent_requests: 1,
      per_alias: { cloud: { concurrent_requests: 1 } },
    });
    const res = fakeResponse();
    // In memory, an admission answers at once: no promise.
    expect(sut.admitKey(who, res)).toBeUndefined();
    expect(sut.admitModel(who, 'gpt-5.5-pro', request(), res)).toBeUndefined();
    expect(refusalOf(() => sut.admitKey(who, fakeResponse()))).toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
    });
    res.closeNow();
    res.closeNow();
    await settled();
    expect(settles.map((s) => s.lease?.keys)).toEqual([
      ['lim:{team-a}:*:conc'],
      ['lim:{team-a}:cloud:conc'],
    ]);
    expect(sut.admitKey(who, fakeResponse())).toBeUndefined();
  });

  it('settles only the token limits: a per-alias request rate keeps its count', async () => {
    const who = principal({
      per_alias: { 'gpt-5.5-pro': { requests_per_minute: 2, tokens_per_day: 10_000 } },
    });
    for (let i = 0; i < 2; i++) {
      // Each asks room for 1,000 tokens and uses 100: 1,004 go back to the day's budget.
      const res = fakeResponse({ usage: { input: 90, output: 10 } });
      expect(sut.admitKey(who, res)).toBeUndefined();
      expect(sut.admitModel(who, 'gpt-5.5-pro', request(1000), res)).toBeUndefined();
      res.closeNow();
      await settled();
    }
    expect(settles.map((s) => s.adjustments.map((a) => [a.rule.key, a.delta]))).toEqual([
      [[expect.stringMatching(/:tpd:/), 100 - 1104]],
      [[expect.stringMatching(/:tpd:/), 100 - 1104]],
    ]);
    expect(
      refusalOf(() => sut.admitModel(who, 'gpt-5.5-pro', request(1000), fakeResponse())),
    ).toMatchObject({ status: 429, message: expect.stringMatching(/requests_per_minute \(2\)/) });
    const day = (await sut.standings(who)).find((s) => s.planned.name === 'tokens_per_day');
    expect(day?.standing.remaining).toBe(10_000 - 200);
  });

  it('gives back what an admission charged when the response ended while the store answered', async () => {
    let answer!: () => void;
    const slow = new MemoryLimitStore();
    const admit = slow.admit.bind(slow);
    const later = Object.assign(Object.create(slow) as MemoryLimitStore, {
      admit: (rules: Parameters<typeof admit>[0]) =>
        new Promise((resolve) => (answer = () => resolve(admit(rules)))),
    });
    const service = new LimitsService(later, config);
    const who = principal({ concurrent_requests: 1, tokens_per_day: 10_000 });
    const res = fakeResponse();
    const admitting = service.admitKey(who, res);
    res.closeNow(); // The client left before the shared store answered.
    await settled();
    answer();
    await admitting;
    const fresh = fakeResponse();
    const next = service.admitKey(who, fresh);
    answer();
    await expect(next).resolves.toBeUndefined(); // The slot went back.
  });

  it('settles the token estimate on the usage the record carries', async () => {
    const who = principal({ tokens_per_minute: 10_000 });
    const res = fakeResponse({ usage: { input: 90, output: 10 } });
    await sut.admitKey(who, res);
    await sut.admitModel(who, 'gpt-5.5-pro', request(1000), res);
    // Estimate: 4 framing + 400/4 prompt + 1,000 asked for.
    expect(res.getHeader('x-ratelimit-remaining-tokens')).toBe(String(10_000 - 1104));
    res.closeNow();
    await settled();
    expect(settles[0].adjustments.map((a) => a.delta)).toEqual([100 - 1104]);
  });

  it('gives every token back when nothing was served', async () => {
    const who = principal({ tokens_per_day: 10_000 });
    const res = fakeResponse();
    await sut.admitKey(who, res);
    await sut.admitModel(who, 'gpt-5.5-pro', request(), res);
    res.statusCode = 502;
    res.closeNow();
    await settled();
    expect(settles[0].adjustments.map((a) => a.delta)).toEqual([-104]);
  });

  it('refuses a request estimated above a whole tokens_per_minute, telling SDKs not to retry', async () => {
    const who = principal({ per_alias: { 'gpt-5.5-pro': { tokens_per_minute: 500 } } });
    const res = fakeResponse();
    await expect(
      Promise.resolve().then(() => sut.admitModel(who, 'gpt-5.5-pro', request(1000), res)),
    ).rejects.toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
      headers: expect.objectContaining({ 'x-should-retry': 'false' }),
      message: expect.stringMatching(
        /tokens_per_minute \(500\) of key 'team-a' for model 'gpt-5.5-pro'/,
      ),
    });
    // Nothing charged, and the response says where the limit stands.
    expect(res.getHeader('x-ratelimit-limit-tokens')).toBe('500');
    expect(res.getHeader('x-ratelimit-remaining-tokens')).toBe('500');
  });

  it('answers 503 limits_unavailable when the store is out under the closed policy', async () => {
    const closed = {
      admit: () => Promise.resolve({ ok: false, unavailable: true }),
      settle: () => Promise.resolve(),
      standings: () => Promise.resolve([]),
    } as unknown as LimitStore;
    const service = new LimitsService(closed, config);
    const res = fakeResponse();
    await expect(
      service.admitKey(principal({ requests_per_minute: 5 }), res),
    ).rejects.toMatchObject({ status: 503, code: 'limits_unavailable' });
  });
});

describe('LimitPlan', () => {
  it('applies an alias entry and every group holding the alias, nothing else', () => {
    const plan = new LimitPlan(
      'team a',
      {
        requests_per_minute: 10,
        per_alias: {
          cloud: { requests_per_minute: 2 },
          'gpt-5.5-pro': { concurrent_requests: 1 },
          'llama-4-scout': { requests_per_minute: 100 },
        },
      },
      { cloud: ['gpt-5.5-pro', 'claude-opus-4.7'] },
    );
    expect(plan.scopesFor('gpt-5.5-pro').map((s) => s.name)).toEqual(['cloud', 'gpt-5.5-pro']);
    expect(plan.scopesFor('claude-opus-4.7').map((s) => s.name)).toEqual(['cloud']);
    expect(plan.scopesFor('gemma-4-31b')).toEqual([]);
    // Key names are encoded inside the hash tag.
    expect(plan.keyStep(Date.now()).rules[0].key).toBe('lim:{team%20a}:*:rpm');
  });

  it('compiles each step once per UTC day: the budgets of the next day count on new keys', () => {
    const plan = new LimitPlan(
      'team',
      {
        requests_per_minute: 10,
        tokens_per_day: 1000,
        per_alias: { cloud: { tokens_per_month: 5 } },
      },
      { cloud: ['gpt-5.5-pro'] },
    );
    const evening = Date.UTC(2026, 11, 31, 23, 59);
    const step = plan.aliasStep('gpt-5.5-pro', evening);
    expect(plan.aliasStep('gpt-5.5-pro', evening + 30_000)).toBe(step);
    expect(plan.keyStep(evening)).toBe(plan.keyStep(evening + 30_000));
    expect(step.rules.map((r) => r.key)).toEqual([
      'lim:{team}:*:tpd:2026-12-31',
      'lim:{team}:cloud:tpmo:2026-12',
    ]);
    // Both count tokens: the estimate charged to them is settled on the real usage.
    expect(step.tokenRules).toEqual(step.rules);
    const next = plan.aliasStep('gpt-5.5-pro', evening + 60_000);
    expect(next.rules.map((r) => r.key)).toEqual([
      'lim:{team}:*:tpd:2027-01-01',
      'lim:{team}:cloud:tpmo:2027-01',
    ]);
    expect(plan.keyStep(evening + 60_000).rules.map((r) => r.key)).toEqual([
      'lim:{team}:*:rpm',
      'lim:{team}:*:tpd:2027-01-01',
    ]);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [20, '20ms'],
    [1_500, '1.5s'],
    [59_999, '60s'],
    [360_000, '6m0s'],
    [3_723_000, '1h2m3s'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
