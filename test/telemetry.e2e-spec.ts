import { Writable } from 'node:stream';
import { createLogger } from '@app/telemetry';
import { sseEvents, UPSTREAM_KEYS, type FakeBackends } from './support/backends';
import { restoreHealth, startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { auth, CLIENT_KEY, type RunningGateway } from './support/gateway';
import { scrape, type Metrics } from './support/metrics';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Line = Record<string, unknown>;

describe('telemetry: metrics, JSON logs and the request record (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l.length > 0),
      );
      done();
    },
  });

  const lines = (): Line[] => raw.map((l) => JSON.parse(l) as Line);
  /** The access line of the request whose id is `id` (waits for the response's close). */
  async function accessLine(id: string): Promise<Line> {
    for (let i = 0; i < 100; i++) {
      const line = lines().find((l) => l.msg === 'request' && l.request_id === id);
      if (line) {
        return line;
      }
      await sleep(20);
    }
    throw new Error(`no access line for ${id}`);
  }
  const metrics = (): Promise<Metrics> => scrape(gw.metricsUrl);
  const chat = (
    body: Record<string, unknown>,
    init: { id: string; signal?: AbortSignal; headers?: Record<string, string> },
  ): Promise<Response> =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        ...auth,
        'content-type': 'application/json',
        'x-request-id': init.id,
        ...init.headers,
      },
      body: JSON.stringify(body),
      signal: init.signal,
    });
  const hello = { messages: [{ role: 'user', content: 'Say hello to the DGX' }] };

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes(
      { LOG_LEVEL: 'log', BACKEND_HEALTH_INTERVAL_SECONDS: '3600' },
      { logs: createLogger('log', sink) },
    ));
  });

  afterAll(() => stopGatewayOnFakes({ gw, fakes }));

  beforeEach(() => restoreHealth({ fakes, gw }));

  it('serves metrics on their own listener, never on the API port', async () => {
    expect(new URL(gw.metricsUrl).port).not.toBe(new URL(gw.url).port);
    const api = await fetch(`${gw.url}/metrics`, { headers: auth });
    expect(api.status).toBe(404);
    const m = await metrics();
    // Process metrics come along.
    expect(m.names().has('nodejs_heap_size_used_bytes')).toBe(true);
    expect(m.names().has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(m.value('gateway_backend_state', { backend: 'vllm', state: 'available' })).toBe(1);
  });

  it('counts a JSON completion: tokens equal the upstream usage, and one access line says it all', async () => {
    const labels = { gen_ai_request_model: 'llama-4-scout', gen_ai_provider_name: 'vllm' };
    const before = await metrics();
    const res = await chat({ model: 'llama-4-scout', ...hello }, { id: 'tel-json-1' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    const line = await accessLine('tel-json-1');
    const after = await metrics();
    const delta = (name: string, l: Record<string, string>): number =>
      after.value(name, l) - before.value(name, l);

    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(delta('gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'input' })).toBe(
      body.usage.prompt_tokens,
    );
    expect(delta('gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'output' })).toBe(
      body.usage.completion_tokens,
    );
    expect(
      delta('gen_ai_client_token_usage_count', { ...labels, gen_ai_token_type: 'input' }),
    ).toBe(1);
    expect(
      delta('gateway_tokens_total', { alias: 'llama-4-scout', key_name: 'key-1', type: 'output' }),
    ).toBe(body.usage.completion_tokens);
    expect(
      delta('gateway_requests_total', {
        route: 'chat',
        alias: 'llama-4-scout',
        status: '200',
        error_code: '',
        key_name: 'key-1',
      }),
    ).toBe(1);
    expect(delta('gen_ai_server_request_duration_seconds_count', labels)).toBe(1);
    expect(delta('gen_ai_server_time_to_first_token_seconds_count', labels)).toBe(1);
    expect(delta('gateway_upstream_attempts_total', { backend: 'vllm', outcome: 'served' })).toBe(
      1,
    );

    expect(line).toMatchObject({
      level: 'info',
      msg: 'request',
      request_id: 'tel-json-1',
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      route: 'chat',
      key_name: 'key-1',
      model: 'llama-4-scout',
      backend: 'vllm',
      stream: false,
      attempts: [expect.stringMatching(/^vllm:served:\d+ms$/) as unknown],
      tokens_in: body.usage.prompt_tokens,
      tokens_out: body.usage.completion_tokens,
      finish_reason: 'stop',
    });
    expect(line.duration_ms).toEqual(expect.any(Number));
    expect(line.ttft_ms).toEqual(expect.any(Number));
    expect(line.aborted).toBeUndefined();
    expect(line.error_code).toBeUndefined();
  });

  it('counts a stream’s tokens from the usage chunk it asked for, which the client never sees', async () => {
    const labels = {
      gen_ai_request_model: 'llama-4-scout',
      gen_ai_provider_name: 'vllm',
      gen_ai_token_type: 'output',
    };
    const request = { model: 'llama-4-scout', stream: true, ...hello };
    // The same request with usage asked for tells what the upstream reports.
    const asked = await chat(
      { ...request, stream_options: { include_usage: true } },
      { id: 'tel-stream-usage' },
    );
    const usageEvent = (await sseEvents(asked))
      .filter((e) => e !== '[DONE]')
      .map((e) => JSON.parse(e) as { usage?: { prompt_tokens: number; completion_tokens: number } })
      .find((e) => e.usage);
    expect(usageEvent?.usage?.completion_tokens).toBeGreaterThan(0);
    await accessLine('tel-stream-usage');

    const before = await metrics();
    const res = await chat(request, { id: 'tel-stream-1' });
    const events = await sseEvents(res);
    const line = await accessLine('tel-stream-1');
    const after = await metrics();
    expect(events.at(-1)).toBe('[DONE]');
    expect(events.some((e) => e.includes('"usage":{'))).toBe(false);
    expect(fakes.vllm.chatRequests().at(-1)?.body).toMatchObject({
      stream_options: { include_usage: true },
    });
    expect(
      after.value('gen_ai_client_token_usage_sum', labels) -
        before.value('gen_ai_client_token_usage_sum', labels),
    ).toBe(usageEvent?.usage?.completion_tokens);
    expect(line).toMatchObject({
      status: 200,
      stream: true,
      backend: 'vllm',
      tokens_in: usageEvent?.usage?.prompt_tokens,
      tokens_out: usageEvent?.usage?.completion_tokens,
    });
    expect(line.ttft_ms).toEqual(expect.any(Number));
  });

  it('counts a fallback from → to after a backend fault, and the hop it failed', async () => {
    fakes.vllm.setFault({ kind: 'status', status: 503, times: 1 });
    const before = await metrics();
    const res = await chat({ model: 'llama-4-scout', ...hello }, { id: 'tel-fallback-1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    await res.arrayBuffer();
    const line = await accessLine('tel-fallback-1');
    const after = await metrics();
    const delta = (name: string, l: Record<string, string>): number =>
      after.value(name, l) - before.value(name, l);
    expect(delta('gateway_fallbacks_total', { from: 'vllm', to: 'ollama-cloud' })).toBe(1);
    expect(
      delta('gateway_upstream_attempts_total', { backend: 'vllm', outcome: 'status_503' }),
    ).toBe(1);
    expect(
      delta('gateway_upstream_attempts_total', { backend: 'ollama-cloud', outcome: 'served' }),
    ).toBe(1);
    expect(
      delta('gen_ai_client_token_usage_count', {
        gen_ai_request_model: 'llama-4-scout',
        gen_ai_provider_name: 'ollama-cloud',
        gen_ai_token_type: 'input',
      }),
    ).toBe(1);
    expect(line).toMatchObject({
      status: 200,
      backend: 'ollama-cloud',
      fallbacks: 1,
      attempts: [
        expect.stringMatching(/^vllm:status_503:/) as unknown,
        expect.stringMatching(/^ollama-cloud:served:/) as unknown,
      ],
    });
  });

  it('counts constraint adjustments by kind', async () => {
    const before = await metrics();
    const res = await chat(
      { model: 'gpt-5.5-pro', max_tokens: 50, ...hello },
      { id: 'tel-floor-1' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-rust-api-applied')).toBe('max_tokens_floored=200');
    await res.arrayBuffer();
    const line = await accessLine('tel-floor-1');
    const after = await metrics();
    const kind = { kind: 'max_tokens_floored' };
    expect(
      after.value('gateway_constraint_adjustments_total', kind) -
        before.value('gateway_constraint_adjustments_total', kind),
    ).toBe(1);
    expect(line.applied).toEqual(['max_tokens_floored=200']);
  });

  it('counts refusals by code and logs the model a refused request named', async () => {
    const before = await metrics();
    const unknown = await chat({ model: 'no-such-model', ...hello }, { id: 'tel-refused-1' });
    expect(unknown.status).toBe(404);
    await unknown.arrayBuffer();
    const keyless = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'tel-refused-2' },
      body: JSON.stringify({ model: 'llama-4-scout', ...hello }),
    });
    expect(keyless.status).toBe(401);
    await keyless.arrayBuffer();
    const invalid = await chat({ model: 'llama-4-scout', messages: [] }, { id: 'tel-refused-3' });
    expect(invalid.status).toBe(400);
    const { error } = (await invalid.json()) as { error: { code: string } };
    const lines = await Promise.all(
      ['tel-refused-1', 'tel-refused-2', 'tel-refused-3'].map(accessLine),
    );
    const after = await metrics();
    const delta = (name: string, l: Record<string, string>): number =>
      after.value(name, l) - before.value(name, l);

    expect(delta('gateway_refusals_total', { code: 'model_not_found' })).toBe(1);
    expect(delta('gateway_refusals_total', { code: 'missing_api_key' })).toBe(1);
    expect(delta('gateway_refusals_total', { code: error.code })).toBe(1);
    // An unknown name is one label value, whatever the client sent.
    expect(
      delta('gateway_requests_total', {
        alias: 'unknown',
        status: '404',
        error_code: 'model_not_found',
      }),
    ).toBe(1);
    expect(after.text).not.toContain('no-such-model');
    expect(lines[0]).toMatchObject({
      status: 404,
      model: 'no-such-model',
      error_code: 'model_not_found',
      key_name: 'key-1',
    });
    expect(lines[1]).toMatchObject({ status: 401, error_code: 'missing_api_key' });
    expect(lines[1].key_name).toBeUndefined();
    expect(lines[2]).toMatchObject({ status: 400, model: 'llama-4-scout', error_code: error.code });
  });

  it('keeps the access line valid JSON whatever model name and path a client sends', async () => {
    const odd = 'x"y\\z\n\u2028é' + 'm'.repeat(200);
    const res = await fetch(`${gw.url}/v1/chat/completions?debug="1"`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'x-request-id': 'tel-odd' },
      body: JSON.stringify({ model: odd, ...hello }),
    });
    expect(res.status).toBe(404);
    await res.arrayBuffer();
    const line = await accessLine('tel-odd');
    expect(line).toMatchObject({ path: '/v1/chat/completions', model: odd.slice(0, 100) });
  });

  it('logs a client that left as 499 aborted, counts it, and does not blame the backend', async () => {
    fakes.vllm.setFault({ kind: 'slow', delayMs: 3000 });
    const before = await metrics();
    const aborter = new AbortController();
    const pending = chat(
      { model: 'llama-4-scout', stream: true, ...hello },
      {
        id: 'tel-abort-1',
        signal: aborter.signal,
      },
    ).catch((err: unknown) => err);
    await sleep(300);
    const during = await metrics();
    expect(during.value('gateway_in_flight_requests')).toBeGreaterThanOrEqual(1);
    aborter.abort();
    await pending;
    const line = await accessLine('tel-abort-1');
    const after = await metrics();
    expect(line).toMatchObject({
      status: 499,
      aborted: true,
      model: 'llama-4-scout',
      error_code: 'client_closed_request',
    });
    expect(
      after.value('gateway_client_aborts_total', { route: 'chat' }) -
        before.value('gateway_client_aborts_total', { route: 'chat' }),
    ).toBe(1);
    expect(
      after.value('gateway_requests_total', { alias: 'llama-4-scout', status: '499' }) -
        before.value('gateway_requests_total', { alias: 'llama-4-scout', status: '499' }),
    ).toBe(1);
    expect(after.value('gateway_in_flight_requests')).toBe(0);
    expect(after.value('gateway_backend_state', { backend: 'vllm', state: 'available' })).toBe(1);
  });

  it('shows an SSE stream in flight while it is relayed', async () => {
    const aborter = new AbortController();
    const res = await chat(
      {
        model: 'llama-4-scout',
        stream: true,
        messages: [{ role: 'user', content: 'Write 20000 words' }],
      },
      { id: 'tel-inflight', signal: aborter.signal },
    );
    const reader = res.body!.getReader();
    await reader.read();
    // The client stops reading: the relay waits on backpressure, the stream stays in flight.
    const during = await metrics();
    expect(during.value('gateway_in_flight_streams')).toBe(1);
    expect(during.value('gateway_in_flight_requests')).toBeGreaterThanOrEqual(1);
    aborter.abort();
    const line = await accessLine('tel-inflight');
    expect(line).toMatchObject({ status: 499, aborted: true, stream: true, backend: 'vllm' });
    expect(line.ttft_ms).toEqual(expect.any(Number));
    const after = await metrics();
    expect(after.value('gateway_in_flight_streams')).toBe(0);
    expect(after.value('gateway_backend_state', { backend: 'vllm', state: 'available' })).toBe(1);
  });

  it('reports a benched backend in gateway_backend_state, counts the change and logs it once', async () => {
    fakes.vllm.setFault({ kind: 'status', status: 503, times: 3 });
    const before = await metrics();
    for (let i = 0; i < 3; i++) {
      const res = await chat({ model: 'llama-4-scout', ...hello }, { id: `tel-bench-${i}` });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    await sleep(50);
    const after = await metrics();
    expect(after.value('gateway_backend_state', { backend: 'vllm', state: 'benched' })).toBe(1);
    expect(after.value('gateway_backend_state', { backend: 'vllm', state: 'available' })).toBe(0);
    const changed = { backend: 'vllm', scope: 'backend', state: 'benched' };
    expect(
      after.value('gateway_backend_state_changes_total', changed) -
        before.value('gateway_backend_state_changes_total', changed),
    ).toBe(1);
    const benchedLines = lines().filter(
      (l) => l.context === 'BackendHealth' && /backend vllm: .*→ benched/.test(String(l.msg)),
    );
    expect(benchedLines).toHaveLength(1);
    expect(benchedLines[0].level).toBe('warn');
  });

  it('names the API route of Express-served requests too: responses, images, other', async () => {
    const before = await metrics();
    const responses = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'x-request-id': 'tel-responses' },
      body: JSON.stringify({ model: 'llama-4-scout', input: 'Say hello to the DGX' }),
    });
    expect(responses.status).toBe(200);
    await responses.arrayBuffer();
    const models = await fetch(`${gw.url}/v1/models`, {
      headers: { ...auth, 'x-request-id': 'tel-models' },
    });
    await models.arrayBuffer();
    const [responsesLine, modelsLine] = await Promise.all([
      accessLine('tel-responses'),
      accessLine('tel-models'),
    ]);
    const after = await metrics();
    expect(responsesLine).toMatchObject({
      route: 'responses',
      path: '/v1/responses',
      status: 200,
      model: 'llama-4-scout',
      backend: 'vllm',
    });
    expect(responsesLine.tokens_out).toEqual(expect.any(Number));
    expect(modelsLine).toMatchObject({ route: 'other', path: '/v1/models', status: 200 });
    const served = { route: 'responses', alias: 'llama-4-scout', status: '200' };
    expect(
      after.value('gateway_requests_total', served) -
        before.value('gateway_requests_total', served),
    ).toBe(1);
  });

  it('writes every line as JSON, and never a key, in logs or metrics', async () => {
    const m = await metrics();
    expect(raw.length).toBeGreaterThan(5);
    for (const line of raw) {
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
    const everything = raw.join('\n') + m.text;
    for (const secret of [CLIENT_KEY, ...Object.values(UPSTREAM_KEYS)]) {
      expect(everything).not.toContain(secret);
    }
  });
});
