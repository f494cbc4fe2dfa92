import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { drainAndClose } from '@app/health';
import { BackendHealthService } from '@app/routing';
import { CircuitStore } from '@app/store';
import { startSim, type Fault } from '../apps/upstream-sim/src';
import { sseEvents, UPSTREAM_KEYS, type FakeBackends } from './support/backends';
import { restoreHealth, startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { auth, CLIENT_KEY, startGateway, type RunningGateway } from './support/gateway';
import { rawHttp } from './support/raw-http';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Budgets of this suite: every hop must start answering within 1.5 s, and may go quiet for 1 s. */
const RESPONSE_BUDGET_MS = 1500;
const HELLO = { messages: [{ role: 'user', content: 'Say hello to the DGX' }] };
const IDLE_MS = 1000;

describe('upstream faults never hang, freeze, leak or crash the gateway (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;

  const hello = { messages: [{ role: 'user', content: 'Say hello to the DGX' }] };
  const chat = (
    body: Record<string, unknown>,
    init: { signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<Response> =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', ...init.headers },
      body: JSON.stringify(body),
      signal: init.signal,
    });

  /**
   * Runs `work` while probing `/healthz` every 20 ms and sampling RSS: the liveness probe must
   * stay fast and memory bounded whatever an upstream does.
   */
  async function watched<T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; worstHealthzMs: number; rssGrowthMb: number; ms: number }> {
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let worst = 0;
    let stop = false;
    const probes = (async () => {
      while (!stop) {
        const started = performance.now();
        const res = await fetch(`${gw.url}/healthz`);
        await res.arrayBuffer();
        expect(res.status).toBe(200);
        worst = Math.max(worst, performance.now() - started);
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        await sleep(20);
      }
    })();
    const started = performance.now();
    try {
      const result = await work();
      return {
        result,
        worstHealthzMs: worst,
        rssGrowthMb: (rssPeak - rssBefore) / 2 ** 20,
        ms: performance.now() - started,
      };
    } finally {
      stop = true;
      await probes;
    }
  }

  /** Waits until every chat call the fake received has had its connection closed. */
  async function upstreamClosed(sim = fakes.vllm, withinMs = 2000): Promise<void> {
    const until = Date.now() + withinMs;
    while (sim.openChats() > 0 && Date.now() < until) {
      await sleep(10);
    }
    expect(sim.openChats()).toBe(0);
    expect(sim.chatRequests().every((r) => r.closedAt !== undefined)).toBe(true);
  }

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes({ BACKEND_HEALTH_INTERVAL_SECONDS: '3600' }));
    Object.assign(gw.config.routing, {
      headers_timeout_min_ms: RESPONSE_BUDGET_MS,
      headers_timeout_factor: 0.01,
      stream_idle_timeout_ms: IDLE_MS,
      stream_max_event_bytes: 1 << 20,
      upstream_max_body_bytes: 2 << 20,
    });
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));
  beforeEach(() => restoreHealth({ fakes, gw }, { clearRequests: true, probe: true }));

  describe.each<[string, Fault, boolean, string]>([
    [
      'stalls after its SSE headers (a queued vLLM)',
      { kind: 'stall' },
      true,
      'first_event_timeout',
    ],
    [
      'drips bytes without a line end before its first event',
      { kind: 'drip', chunkBytes: 64, intervalMs: 1 },
      true,
      'first_event_timeout',
    ],
    [
      'sends OpenRouter’s error chunk as its first event',
      { kind: 'error-body' },
      true,
      'error_body',
    ],
    ['sends a gzip-encoded stream', { kind: 'gzip-sse' }, true, 'unsupported_encoding'],
    ['sends garbage in a 200 stream', { kind: 'garbage-sse' }, true, 'invalid_stream'],
    ['answers a stream request with JSON', { kind: 'wrong-type' }, true, 'unexpected_json'],
    ['stalls after its JSON headers', { kind: 'stall' }, false, 'idle_timeout'],
    ['sends a JSON body that never ends', { kind: 'endless-json' }, false, 'body_too_large'],
    ['answers a JSON request with a stream', { kind: 'wrong-type' }, false, 'unexpected_stream'],
  ])('when vLLM %s', (_name, fault, stream, reason) => {
    it(`fails over in bounded time (${reason}), stays live with bounded memory, and closes the upstream call`, async () => {
      fakes.vllm.setFault(fault);
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const { result, worstHealthzMs, rssGrowthMb, ms } = await watched(async () => {
        const res = await chat({ model: 'llama-4-scout', stream, ...hello });
        return {
          res,
          events: stream ? await sseEvents(res) : [],
          body: stream ? undefined : await res.json(),
        };
      });
      expect(result.res.status).toBe(200);
      expect(result.res.headers.get('x-gateway-backend')).toBe('ollama-cloud');
      expect(result.res.headers.get('x-gateway-fallbacks')).toBe('vllm');
      if (stream) {
        expect(result.events.at(-1)).toBe('[DONE]');
      } else {
        expect(result.body.choices[0].message.content).not.toBe('');
      }
      expect(ms).toBeLessThan(RESPONSE_BUDGET_MS + IDLE_MS + 2000);
      expect(worstHealthzMs).toBeLessThan(200);
      expect(rssGrowthMb).toBeLessThan(100);
      await upstreamClosed();
      expect(fakes.ollama.chatRequests()).toHaveLength(1);
      expect(warn.mock.calls.map(([m]) => String(m))).toContainEqual(
        expect.stringContaining(`vllm failed (${reason})`),
      );
      warn.mockRestore();
    });
  });

  it('cuts a stream whose upstream never ends a line after its first event: bounded memory, an error event, no [DONE]', async () => {
    fakes.vllm.setFault({ kind: 'endless-line' });
    const { result, worstHealthzMs, rssGrowthMb } = await watched(async () => {
      const res = await chat({ model: 'llama-4-scout', stream: true, ...hello });
      return { res, events: await sseEvents(res) };
    });
    expect(result.res.status).toBe(200);
    expect(result.events).not.toContain('[DONE]');
    expect(JSON.parse(result.events.at(-1)!).error.code).toBe('upstream_response_too_large');
    expect(worstHealthzMs).toBeLessThan(200);
    expect(rssGrowthMb).toBeLessThan(100);
    await upstreamClosed();
  });

  it('counts streams that fail after their first event against the backend, until it is benched', async () => {
    fakes.vllm.setFault({ kind: 'cut', afterChunks: 2 });
    for (let i = 0; i < gw.config.routing.failure_threshold; i++) {
      const events = await sseEvents(
        await chat({ model: 'llama-4-scout', stream: true, ...hello }),
      );
      expect(JSON.parse(events.at(-1)!).error.code).toBe('upstream_stream_interrupted');
    }
    await sleep(50);
    const res = await chat({ model: 'llama-4-scout', stream: true, ...hello });
    expect(res.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    expect(res.headers.get('x-gateway-fallbacks')).toBe('vllm');
    const state = gw.app.get(BackendHealthService).stateOf('vllm');
    expect(state).toMatchObject({ status: 'benched', bench: { reason: 'failures' } });
    const ready = await (await fetch(`${gw.url}/readyz`)).json();
    expect(ready.info.backends.vllm).toBe('benched');
    expect(ready.info.benched.vllm.reason).toBe('failures');
  });

  it.each([true, false])(
    'closes the upstream call at once when the client leaves during the wait (stream: %s), blaming nobody',
    async (stream) => {
      fakes.vllm.setFault({ kind: 'stall' });
      const abort = new AbortController();
      const pending = chat({ model: 'llama-4-scout', stream, ...hello }, { signal: abort.signal });
      while (fakes.vllm.openChats() === 0) {
        await sleep(5);
      }
      abort.abort();
      await expect(pending).rejects.toThrow();
      await upstreamClosed(fakes.vllm, 500);
      expect(fakes.ollama.chatRequests()).toHaveLength(0);
      expect(gw.app.get(BackendHealthService).skipReason('vllm', 'any')).toBeUndefined();
    },
  );

  it('relays no upstream secret: an error echoing our backend key comes back redacted', async () => {
    fakes.vllm.setFault({ kind: 'echo-error', times: 1 });
    const res = await chat({ model: 'llama-4-scout', ...hello });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toContain(UPSTREAM_KEYS.vllm);
    expect(text).toContain('[redacted]');
    expect(JSON.parse(text).error.message.length).toBeLessThanOrEqual(1001);
    expect(fakes.vllm.chatRequests()[0].headers.authorization).toBe(`Bearer ${UPSTREAM_KEYS.vllm}`);
  });

  it('benches only the rate-limited (backend, model) pair: other aliases on that backend are still served', async () => {
    fakes.openrouter.setFault({ kind: 'status', status: 429, retryAfter: 60, times: 1 });
    const limited = await chat({ model: 'nano-banana', ...hello });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^(59|60)$/);
    expect((await limited.json()).error.code).toBe('rate_limit_exceeded');
    const other = await chat({ model: 'claude-opus-4.7', ...hello });
    expect(other.status).toBe(200);
    expect(other.headers.get('x-gateway-backend')).toBe('openrouter');
    // A successful probe proves reachability, not that the rate limit is over.
    await gw.app.get(BackendHealthService).probeAll();
    const still = await chat({ model: 'nano-banana', ...hello });
    expect(still.status).toBe(429);
    expect(fakes.openrouter.chatRequests().map((r) => (r.body as { model: string }).model)).toEqual(
      ['google/gemini-3.1-flash-image-preview', 'anthropic/claude-opus-4.7'],
    );
    const info = await (await fetch(`${gw.url}/v1/info`, { headers: auth })).json();
    const openrouter = info.backends.find((b: { name: string }) => b.name === 'openrouter');
    expect(openrouter.status).not.toBe('benched');
    expect(openrouter.benched_models['google/gemini-3.1-flash-image-preview'].reason).toBe(
      'rate_limited',
    );
  });
});

describe('clients that misbehave before their body (e2e)', () => {
  let gw: RunningGateway;
  let port: number;

  beforeAll(async () => {
    gw = await startGateway();
    port = Number(new URL(gw.url).port);
  });
  afterAll(() => gw.close());

  /** Sends headers declaring `length` bytes, then streams body bytes until the gateway closes. */
  function upload(
    headers: string,
    length: number,
  ): Promise<{ response: string; bytesSent: number }> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let response = '';
      const piece = Buffer.alloc(256 * 1024, 0x20);
      let pumping = true;
      const pump = (): void => {
        while (pumping && socket.write(piece)) {
          if (socket.bytesWritten > 256 * 2 ** 20) {
            pumping = false; // The gateway kept reading: fail below, not forever.
          }
        }
      };
      socket.setEncoding('latin1');
      socket.on('data', (c: string) => (response += c));
      socket.on('drain', pump);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        pumping = false;
        resolve({ response, bytesSent: socket.bytesWritten });
      });
      socket.on('connect', () => {
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${length}\r\n${headers}\r\n`,
        );
        pump();
      });
    });
  }

  it('answers 401 to an unauthenticated 10 GB upload and stops reading at once', async () => {
    const { response, bytesSent } = await upload('', 10 * 2 ** 30);
    expect(response).toMatch(/^HTTP\/1\.1 401 /);
    expect(response.toLowerCase()).toContain('connection: close');
    // What the kernel's buffers and the lingering close take: megabytes, never the upload.
    expect(bytesSent).toBeLessThan(32 * 2 ** 20);
  });

  it.each([
    ['no key', '', 20, 401],
    ['an oversized body', `Authorization: Bearer ${CLIENT_KEY}\r\n`, 64 * 2 ** 20, 413],
  ])(
    'answers Expect: 100-continue with %s with the final status, never 100 Continue',
    async (_case, authHeader, length, status) => {
      const response = await rawHttp(port, (write) =>
        write(
          'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            `${authHeader}Content-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`,
        ),
      );
      expect(response).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(response).not.toContain('100 Continue');
    },
  );

  it('sends 100 Continue once auth and size pass, then serves the body', async () => {
    const body = JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] });
    const response = await rawHttp(port, (write) => {
      write(
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          `Authorization: Bearer ${CLIENT_KEY}\r\nContent-Length: ${body.length}\r\n` +
          'Expect: 100-continue\r\nConnection: close\r\n\r\n',
      );
      setTimeout(() => write(body), 50);
    });
    expect(response).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 404 /);
    expect(response).toContain('"code":"model_not_found"');
  });

  it('closes a slow-header connection at headersTimeout, checked every second', async () => {
    gw.server.headersTimeout = 500;
    try {
      const started = Date.now();
      const response = await rawHttp(port, (write) => {
        write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
        const timer = setInterval(() => {
          if (!write('X-Slow: 1\r\n')) {
            clearInterval(timer); // Closed by the gateway.
          }
        }, 100);
      });
      expect(response).toMatch(/^HTTP\/1\.1 408 /);
      // Node's default check interval (30 s) let such a client hold its socket 25–34 s.
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      gw.server.headersTimeout = 15_000;
    }
  });
});

describe('streams the gateway itself must end (e2e)', () => {
  /** An upstream that streams valid chunks as fast as it may, until it is closed; reports that close. */
  async function floodingUpstream(): Promise<{
    url: string;
    closed: Promise<void>;
    close: () => void;
  }> {
    let onClosed!: () => void;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    const server = createServer((req, res) => {
      if (req.url === '/health' || req.url === '/v1/models') {
        res.end('{}');
        return;
      }
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${'x'.repeat(4000)}"},"finish_reason":null}]}\n\n`;
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) {
          /* fill until backpressure */
        }
      };
      res.on('drain', pump);
      res.once('close', onClosed);
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/v1`,
      closed,
      close: () => {
        server.closeAllConnections();
        server.close();
      },
    };
  }

  it('cuts a client that stops reading after the stall timeout, and closes the upstream call', async () => {
    const upstream = await floodingUpstream();
    const gw = await startGateway({ BACKEND_VLLM_URL: upstream.url });
    gw.config.routing.stream_idle_timeout_ms = 500;
    try {
      const body = JSON.stringify({ model: 'llama-4-scout', stream: true, ...HELLO });
      const started = Date.now();
      const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          `Authorization: Bearer ${CLIENT_KEY}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      socket.pause(); // Never reads: the gateway's writes back up.
      await upstream.closed;
      expect(Date.now() - started).toBeLessThan(5_000);
      socket.destroy();
      // The client stalled, not the upstream: no failure was counted against vLLM.
      expect(await gw.app.get(CircuitStore).addFailure('vllm', 60_000)).toBe(1);
    } finally {
      await gw.close();
      upstream.close();
    }
  });

  it('ends a stream still running at the end of the shutdown grace with a shutting_down event', async () => {
    const slow = await startSim({ name: 'vllm', flavor: 'vllm', tokensPerSecond: 5 });
    const gw = await startGateway({
      BACKEND_VLLM_URL: slow.url,
      SHUTDOWN_DELAY_SECONDS: '0',
      SHUTDOWN_GRACE_SECONDS: '1',
    });
    try {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama-4-scout', stream: true, ...HELLO }),
      });
      expect(res.status).toBe(200);
      const closing = drainAndClose(gw.app, gw.server, gw.config);
      const events = await sseEvents(res);
      expect(events).not.toContain('[DONE]');
      expect(JSON.parse(events.at(-1)!).error.code).toBe('shutting_down');
      await closing;
      await sleep(50);
      expect(slow.openChats()).toBe(0);
    } finally {
      await slow.close();
    }
  });
});
