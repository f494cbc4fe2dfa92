import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LifecycleService, drainAndClose } from '@app/health';
import { BackendHealthService } from '@app/routing';
import { inspectImage, startSim } from '../apps/upstream-sim/src';
import { sseEvents, UPSTREAM_KEYS, type FakeBackends } from './support/backends';
import { restoreHealth, startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { auth, CLIENT_KEY, startGateway, type RunningGateway } from './support/gateway';

const SCOUT_VLLM_ID = 'RedHatAI/Llama-4-Scout-17B-16E-Instruct-quantized.w4a16';

describe('chat completions with routing (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;

  const chat = (
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const hello = { messages: [{ role: 'user', content: 'Say hello to the DGX' }] };

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes({ BACKEND_HEALTH_INTERVAL_SECONDS: '3600' }));
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));
  beforeEach(() => restoreHealth({ fakes, gw }, { clearRequests: true, probe: true }));

  it('floors max_tokens for gpt-5.5-pro to 200 upstream and says so in x-rust-api-applied', async () => {
    const res = await chat({ model: 'gpt-5.5-pro', max_tokens: 50, ...hello });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-rust-api-applied')).toBe('max_tokens_floored=200');
    expect(res.headers.get('x-gateway-backend')).toBe('openrouter');
    const body = await res.json();
    expect(body.model).toBe('gpt-5.5-pro');
    expect(body.choices[0].message.content).not.toBe('');
    const [sent] = fakes.openrouter.chatRequests();
    expect(sent.body).toMatchObject({ model: 'openai/gpt-5.5-pro', max_tokens: 200 });
  });

  it('floors gpt-image max_tokens 5 to 16, asks for image output, and returns the PNG where the seed says', async () => {
    const res = await chat({
      model: 'gpt-image',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'a red fox' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-rust-api-applied')).toBe('max_tokens_floored=16');
    const body = await res.json();
    const url: string = body.choices[0].message.images[0].image_url.url;
    expect(url).toMatch(/^data:image\/png;base64,/);
    expect(inspectImage(Buffer.from(url.split(',')[1], 'base64')).format).toBe('PNG');
    expect(fakes.openrouter.chatRequests()[0].body).toMatchObject({
      model: 'openai/gpt-5.4-image-2',
      max_tokens: 16,
      modalities: ['image', 'text'],
    });
  });

  it('does not give a max_tokens to a request that set none', async () => {
    const res = await chat({ model: 'gpt-5.5-pro', ...hello });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-rust-api-applied')).toBeNull();
    const sent = fakes.openrouter.chatRequests()[0].body as Record<string, unknown>;
    expect('max_tokens' in sent || 'max_completion_tokens' in sent).toBe(false);
  });

  it('forwards unknown fields intact, the backend key (never the client key) and the request id; strips hop-by-hop headers', async () => {
    const extras = {
      top_k: 40,
      repetition_penalty: 1.1,
      chat_template_kwargs: { enable_thinking: false },
      reasoning: { effort: 'low' },
      seed: 7,
      metadata: { team: 'a' },
    };
    const res = await chat(
      { model: 'llama-4-scout', ...hello, ...extras },
      {
        'x-request-id': 'trace-123',
        'x-forwarded-for': '10.0.0.1',
        forwarded: 'for=10.0.0.1',
        'proxy-authorization': 'Basic abc',
        'x-secret': 'nope',
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    const [sent] = fakes.vllm.chatRequests();
    expect(sent.body).toEqual({ model: SCOUT_VLLM_ID, ...hello, ...extras });
    expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_KEYS.vllm}`);
    expect(sent.headers['x-request-id']).toBe('trace-123');
    const names = Object.keys(sent.headers);
    for (const banned of [
      'x-forwarded-for',
      'forwarded',
      'proxy-authorization',
      'x-secret',
      'cookie',
    ]) {
      expect(names).not.toContain(banned);
    }
    expect(JSON.stringify(sent.headers)).not.toContain(CLIENT_KEY);
  });

  it('refuses an https image_url with the exact param and forwards nothing', async () => {
    const res = await chat({
      model: 'qwen3-vl-30b-instruct',
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({
      code: 'image_url_not_supported',
      param: 'messages[1].content[1].image_url.url',
    });
    expect(fakes.all().flatMap((s) => s.chatRequests())).toHaveLength(0);
  });

  it('streams SSE with the alias as model, usage when asked, [DONE] at the end, and the floor header', async () => {
    const res = await chat({
      model: 'gemini-3.1-pro',
      max_tokens: 10,
      stream: true,
      stream_options: { include_usage: true },
      ...hello,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-rust-api-applied')).toBe('max_tokens_floored=200');
    const events = await sseEvents(res);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.every((c) => c.model === 'gemini-3.1-pro')).toBe(true);
    expect(chunks.at(-1).usage.total_tokens).toBeGreaterThan(0);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).not.toBe('');
    expect(fakes.openrouter.chatRequests()[0].body).toMatchObject({
      max_tokens: 200,
      stream: true,
      model: 'google/gemini-3.1-pro-preview',
    });
  });

  it('fails over from a stopped vLLM to ollama-cloud, shows vllm: unreachable, and returns to vLLM once it is back', async () => {
    await fakes.vllm.stop();
    try {
      const res = await chat({ model: 'llama-4-scout', ...hello });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-backend')).toBe('ollama-cloud');
      expect(res.headers.get('x-gateway-fallbacks')).toBe('vllm');
      expect((await res.json()).model).toBe('llama-4-scout');
      expect(fakes.ollama.chatRequests()[0].body).toMatchObject({ model: 'llama4:scout' });
      expect(fakes.ollama.chatRequests()[0].headers.authorization).toBe(
        `Bearer ${UPSTREAM_KEYS.ollama}`,
      );
      const ready = await fetch(`${gw.url}/readyz`);
      expect(ready.status).toBe(200);
      expect((await ready.json()).info.backends.vllm).toBe('unreachable');
      const info = await (await fetch(`${gw.url}/v1/info`, { headers: auth })).json();
      expect(info.backends.find((b: any) => b.name === 'vllm').status).toBe('unreachable');
    } finally {
      await fakes.vllm.start();
    }
    await gw.app.get(BackendHealthService).probeAll();
    const back = await chat({ model: 'llama-4-scout', ...hello });
    expect(back.headers.get('x-gateway-backend')).toBe('vllm');
    expect(back.headers.get('x-gateway-fallbacks')).toBeNull();
    expect((await (await fetch(`${gw.url}/readyz`)).json()).info.backends.vllm).toBe('available');
  });

  it('fails over on 500 and on 429 (benching the backend for its Retry-After)', async () => {
    fakes.vllm.setFault({ kind: 'status', status: 500, times: 1 });
    const res = await chat({ model: 'llama-4-scout', ...hello });
    expect(res.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    fakes.vllm.setFault({ kind: 'status', status: 429, retryAfter: 120, times: 1 });
    const limited = await chat({ model: 'llama-4-scout', ...hello });
    expect(limited.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    const skipped = await chat({ model: 'llama-4-scout', ...hello });
    expect(skipped.headers.get('x-gateway-fallbacks')).toBe('vllm');
    expect(fakes.vllm.chatRequests()).toHaveLength(2);
  });

  it('fails over on a 200 whose body is an error object', async () => {
    fakes.vllm.setFault({ kind: 'error-body', times: 1 });
    const res = await chat({ model: 'llama-4-scout', ...hello });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-backend')).toBe('ollama-cloud');
  });

  it('does not fail over a 400 the request caused: the envelope comes back and nothing else is called', async () => {
    fakes.vllm.setFault({
      kind: 'status',
      status: 400,
      body: {
        error: {
          message: 'Your request was rejected by the safety system.',
          type: 'invalid_request_error',
          code: 'content_policy_violation',
          param: 'messages',
        },
      },
      times: 1,
    });
    const res = await chat({ model: 'llama-4-scout', ...hello });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({
      code: 'content_policy_violation',
      param: 'messages',
    });
    expect(fakes.ollama.chatRequests()).toHaveLength(0);
    expect(fakes.openrouter.chatRequests()).toHaveLength(0);
  });

  it('answers promptly with an upstream_unavailable envelope when every hop is down', async () => {
    for (const sim of fakes.all()) {
      sim.setFault({ kind: 'status', status: 503 });
    }
    const res = await chat({ model: 'llama-4-scout', ...hello });
    expect([502, 503]).toContain(res.status);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const { error } = await res.json();
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toContain('vllm, ollama-cloud, openrouter');
    expect(error.message).not.toMatch(/127\.0\.0\.1|upstream-key/);
  });

  it("image-gen falls back to gpt-image on a 500 (with gpt-image's floor) but not on a content-policy 400", async () => {
    fakes.openrouter.setFault({ kind: 'status', status: 500, times: 1 });
    const res = await chat({
      model: 'image-gen',
      max_tokens: 4,
      messages: [{ role: 'user', content: 'a lighthouse' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-model')).toBe('gpt-image');
    expect(res.headers.get('x-rust-api-applied')).toBe('max_tokens_floored=16');
    expect((await res.json()).choices[0].message.images[0].image_url.url).toMatch(
      /^data:image\/png;base64,/,
    );
    expect(fakes.openrouter.chatRequests().map((r) => (r.body as any).model)).toEqual([
      'google/gemini-3.1-flash-image-preview',
      'openai/gpt-5.4-image-2',
    ]);
    expect((fakes.openrouter.chatRequests()[0].body as any).max_tokens).toBe(4);

    fakes.openrouter.requests.length = 0;
    fakes.openrouter.setFault({
      kind: 'status',
      status: 400,
      body: {
        error: {
          message: 'Request blocked by content policy',
          type: 'invalid_request_error',
          code: 'content_policy_violation',
        },
      },
      times: 1,
    });
    const refused = await chat({
      model: 'image-gen',
      messages: [{ role: 'user', content: 'something refused' }],
    });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error.code).toBe('content_policy_violation');
    expect(fakes.openrouter.chatRequests()).toHaveLength(1);
  });

  it("serves Nest's own route for the path (another spelling of it) exactly as the front door", async () => {
    const answer = async (path: string, body: unknown, headers: Record<string, string> = auth) => {
      const res = await fetch(`${gw.url}${path}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'x-request-id': 'same-id' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      delete json.id;
      delete json.created;
      const served = ['x-request-id', 'x-gateway-backend', 'x-gateway-model', 'x-rust-api-applied'];
      return {
        status: res.status,
        type: res.headers.get('content-type'),
        headers: served.map((name) => res.headers.get(name)),
        json,
      };
    };
    const cases: Array<[unknown, Record<string, string>?]> = [
      [{ model: 'gpt-5.5-pro', max_tokens: 50, ...hello }],
      [{ model: 'gpt-5.5-pro', max_tokens: 50, top_k: 3, ...hello }],
      [{ model: 'gpt-5.5-pro', ...hello }, {}],
      [{ model: 'gpt-5.5-pro', temperature: 9, ...hello }],
      [{ model: 'no-such-model', ...hello }],
    ];
    for (const [body, headers] of cases) {
      fakes.openrouter.requests.length = 0;
      const front = await answer('/v1/chat/completions', body, headers);
      const sentByFront = fakes.openrouter.chatRequests().map((r) => r.body);
      fakes.openrouter.requests.length = 0;
      const nest = await answer('/v1/chat/completions/', body, headers);
      expect(nest).toEqual(front);
      expect(fakes.openrouter.chatRequests().map((r) => r.body)).toEqual(sentByFront);
    }
  });

  it('ends a stream cut mid-way with an error event and no [DONE]', async () => {
    fakes.vllm.setFault({ kind: 'cut', afterChunks: 2, times: 1 });
    const res = await chat({ model: 'llama-4-scout', stream: true, ...hello });
    expect(res.status).toBe(200);
    const events = await sseEvents(res);
    expect(events).not.toContain('[DONE]');
    expect(JSON.parse(events.at(-1)!).error.code).toBe('upstream_stream_interrupted');
  });

  it('fails a stream over before the first byte when the first hop is down', async () => {
    // Twice: a reset on a reused keep-alive socket is first retried on a new connection.
    fakes.vllm.setFault({ kind: 'reset', times: 2 });
    const res = await chat({ model: 'llama-4-scout', stream: true, ...hello });
    expect(res.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    expect((await sseEvents(res)).at(-1)).toBe('[DONE]');
  });
});

describe('graceful shutdown (e2e)', () => {
  // Open defect: during drain the in-flight upstream stream is cut (upstream_stream_interrupted); see the issue 4 note.
  it('turns /readyz 503 at once and lets an in-flight stream finish before closing', async () => {
    const slow = await startSim({ name: 'openrouter', flavor: 'openrouter', tokensPerSecond: 25 });
    const gw = await startGateway({
      BACKEND_OPENROUTER_URL: slow.url,
      BACKEND_OPENROUTER_API_KEY: 'k',
      SHUTDOWN_DELAY_SECONDS: '0',
      SHUTDOWN_GRACE_SECONDS: '30',
    });
    try {
      slow.setFault({ kind: 'slow', delayMs: 700, times: 1 });
      const pending = fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'grok-4.20',
          stream: true,
          messages: [{ role: 'user', content: 'Reply with 40 words.' }],
        }),
      });
      const lifecycle = gw.app.get(LifecycleService);
      while (lifecycle.inflightCount === 0) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const closing = drainAndClose(gw.app, gw.server, gw.config);
      expect(lifecycle.draining).toBe(true);
      const stream = await pending;
      expect(stream.status).toBe(200);
      const events = await sseEvents(stream);
      expect(events.at(-1)).toBe('[DONE]');
      await closing;
      expect(lifecycle.state).toBe('closed');
    } finally {
      await slow.close();
    }
  });

  it('answers /readyz 503 while draining and refuses new work with shutting_down after the delay', async () => {
    const gw = await startGateway({ SHUTDOWN_DELAY_SECONDS: '0', SHUTDOWN_GRACE_SECONDS: '5' });
    const lifecycle = gw.app.get(LifecycleService);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
    lifecycle.beginDrain();
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('connection')).toBe('close');
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    lifecycle.refuseNewRequests();
    const refused = await fetch(`${gw.url}/v1/models`, { headers: auth });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await refused.json()).error.code).toBe('shutting_down');
    await gw.close();
  });
});

describe('upstreams that stall after their headers (e2e)', () => {
  it('fails a JSON answer over to the next hop instead of hanging', async () => {
    const stalled = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"chatcmpl-1","choices":[');
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const { port } = stalled.address() as AddressInfo;
    const { fakes, gw } = await startGatewayOnFakes({
      BACKEND_VLLM_URL: `http://127.0.0.1:${port}/v1`,
    });
    gw.config.routing.stream_idle_timeout_ms = 300;
    try {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'llama-4-scout',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-fallbacks')).toBe('vllm');
      expect(res.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    } finally {
      await gw.close();
      stalled.closeAllConnections();
      stalled.close();
      await fakes.close();
    }
  });
});

describe('client disconnects (e2e)', () => {
  it('aborts the upstream stream as soon as the client goes away', async () => {
    const total = 200;
    let sent = 0;
    let upstreamClosed!: (sentSoFar: number) => void;
    const closed = new Promise<number>((resolve) => (upstreamClosed = resolve));
    const upstream = createServer((req, res) => {
      if (req.url === '/health') {
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => {
        sent++;
        const chunk = {
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'm',
          choices: [{ index: 0, delta: { content: `t${sent} ` }, finish_reason: null }],
        };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        if (sent === total) {
          clearInterval(timer);
          res.end('data: [DONE]\n\n');
        }
      }, 20);
      req.socket.once('close', () => {
        clearInterval(timer);
        upstreamClosed(sent);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    const gw = await startGateway({ BACKEND_VLLM_URL: `http://127.0.0.1:${port}/v1` });
    try {
      const controller = new AbortController();
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'llama-4-scout',
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      const sentWhenClosed = await closed;
      expect(sentWhenClosed).toBeLessThan(total);
    } finally {
      await gw.close();
      upstream.closeAllConnections();
      upstream.close();
    }
  });
});
