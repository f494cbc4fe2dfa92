import { Writable } from 'node:stream';
import { createLogger, TracingService } from '@app/telemetry';
import { sseEvents, type FakeBackends } from './support/backends';
import { restoreHealth, startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { auth, type RunningGateway } from './support/gateway';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const hello = { messages: [{ role: 'user', content: 'Say hello to the DGX' }] };

function chat(
  gw: RunningGateway,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function headerOf(fakes: FakeBackends['vllm'], name: string): unknown {
  return fakes.chatRequests().at(-1)?.headers[name];
}

describe('OpenTelemetry tracing on: spans to an OTLP/HTTP receiver (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  let receiver: OtlpReceiver;
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk
        .toString()
        .split('\n')
        .filter((l) => l.length > 0)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });

  /** The spans of `traceId`, once the gateway's batch has been exported. */
  async function spansOf(traceId: string, count: number): Promise<ReceivedSpan[]> {
    await gw.app.get(TracingService).flush();
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    expect(spans).toHaveLength(count);
    return spans;
  }

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    ({ fakes, gw } = await startGatewayOnFakes(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'gateway-under-test',
        BACKEND_HEALTH_INTERVAL_SECONDS: '3600',
        LOG_LEVEL: 'log',
      },
      { logs: createLogger('log', sink) },
    ));
  });

  afterAll(async () => {
    await stopGatewayOnFakes({ gw, fakes });
    await receiver?.close();
  });

  beforeEach(() => restoreHealth({ fakes, gw }));

  it('continues the client’s trace: a server span, a client span per attempt, traceparent upstream', async () => {
    const res = await chat(
      gw,
      { model: 'llama-4-scout', ...hello },
      {
        traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
        tracestate: 'vendor=abc',
        'x-request-id': 'trace-json-1',
      },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      usage: { prompt_tokens: number; completion_tokens: number };
    };

    const sent = String(headerOf(fakes.vllm, 'traceparent'));
    const [, sentTrace, sentParent] = TRACEPARENT.exec(sent) ?? [];
    expect(sentTrace).toBe(CLIENT_TRACE);
    expect(headerOf(fakes.vllm, 'tracestate')).toBe('vendor=abc');

    const spans = await spansOf(CLIENT_TRACE, 2);
    const server = spans.find((s) => s.kind === 2)!;
    const client = spans.find((s) => s.kind === 3)!;
    expect(server).toMatchObject({
      name: 'POST /v1/chat/completions',
      parentSpanId: CLIENT_SPAN,
      attributes: {
        'http.request.method': 'POST',
        'http.response.status_code': 200,
        'http.route': '/v1/chat/completions',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'llama-4-scout',
        'gen_ai.provider.name': 'vllm',
        'gen_ai.usage.input_tokens': body.usage.prompt_tokens,
        'gen_ai.usage.output_tokens': body.usage.completion_tokens,
        'gen_ai.response.finish_reasons': ['stop'],
        'gateway.request_id': 'trace-json-1',
        'gateway.key_name': 'key-1',
      },
      resource: { 'service.name': 'gateway-under-test' },
    });
    // The upstream saw the attempt's span as its parent.
    expect(client).toMatchObject({
      name: 'chat llama-4-scout',
      spanId: sentParent,
      parentSpanId: server.spanId,
      attributes: {
        'gen_ai.request.model': 'llama-4-scout',
        'gen_ai.provider.name': 'vllm',
        'gen_ai.response.model': expect.any(String) as unknown,
        'gen_ai.usage.output_tokens': body.usage.completion_tokens,
        'gateway.attempt.outcome': 'served',
      },
    });
    expect(client.startMs).toBeGreaterThanOrEqual(server.startMs);
    expect(client.endMs).toBeLessThanOrEqual(server.endMs);
    expect(server.endMs - server.startMs).toBeLessThan(5000);
    expect(Math.abs(server.startMs - Date.now())).toBeLessThan(10_000);
    expect(receiver.posts.every((p) => p.path === '/v1/traces')).toBe(true);
  });

  it('starts a new trace when the client sends none; the access log’s trace id is the span’s', async () => {
    const res = await chat(
      gw,
      { model: 'llama-4-scout', ...hello },
      { 'x-request-id': 'trace-new-1' },
    );
    await res.arrayBuffer();
    const [, traceId] = TRACEPARENT.exec(String(headerOf(fakes.vllm, 'traceparent'))) ?? [];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await spansOf(traceId, 2);
    expect(spans.find((s) => s.kind === 2)?.parentSpanId).toBeUndefined();
    const access = lines.find((l) => l.msg === 'request' && l.request_id === 'trace-new-1');
    expect(access?.trace_id).toBe(traceId);
  });

  it('records a fallback: a failed attempt span, then the serving one marked as a fallback', async () => {
    fakes.vllm.setFault({ kind: 'status', status: 503, times: 1 });
    const traceId = 'aaaabbbbccccddddeeeeffff00001111';
    const res = await chat(
      gw,
      { model: 'llama-4-scout', stream: true, ...hello },
      { traceparent: `00-${traceId}-${CLIENT_SPAN}-01` },
    );
    expect((await sseEvents(res)).at(-1)).toBe('[DONE]');
    const spans = await spansOf(traceId, 3);
    const server = spans.find((s) => s.kind === 2)!;
    const attempts = spans.filter((s) => s.kind === 3).sort((a, b) => a.startMs - b.startMs);
    expect(attempts.map((a) => a.attributes['gen_ai.provider.name'])).toEqual([
      'vllm',
      'ollama-cloud',
    ]);
    expect(attempts[0]).toMatchObject({
      status: { code: 2 },
      attributes: { 'gateway.attempt.outcome': 'status_503', 'error.type': 'status_503' },
    });
    expect(attempts[1]).toMatchObject({
      attributes: {
        'gateway.attempt.outcome': 'served',
        'gateway.fallback': true,
        'gateway.fallback.from': 'vllm',
      },
    });
    expect(attempts[1].attributes['gen_ai.usage.output_tokens']).toEqual(expect.any(Number));
    expect(server.attributes).toMatchObject({
      'gen_ai.provider.name': 'ollama-cloud',
      'gateway.fallbacks': 1,
      'gateway.stream': true,
    });
    // Each upstream got its own attempt span as parent, in the same trace.
    const vllmSent = TRACEPARENT.exec(String(headerOf(fakes.vllm, 'traceparent')));
    const ollamaSent = TRACEPARENT.exec(String(headerOf(fakes.ollama, 'traceparent')));
    expect(vllmSent?.[1]).toBe(traceId);
    expect(vllmSent?.[2]).toBe(attempts[0].spanId);
    expect(ollamaSent?.[2]).toBe(attempts[1].spanId);
  });

  it('exports nothing for a trace the client did not sample, yet still propagates it', async () => {
    const traceId = '11112222333344445555666677778888';
    const res = await chat(
      gw,
      { model: 'llama-4-scout', ...hello },
      { traceparent: `00-${traceId}-${CLIENT_SPAN}-00` },
    );
    await res.arrayBuffer();
    const sent = TRACEPARENT.exec(String(headerOf(fakes.vllm, 'traceparent')));
    expect(sent?.[1]).toBe(traceId);
    expect(sent?.[0].endsWith('-00')).toBe(true);
    await spansOf(traceId, 0);
  });
});

describe('OpenTelemetry tracing off (the default) (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes({ BACKEND_HEALTH_INTERVAL_SECONDS: '3600' }));
  });

  afterAll(() => stopGatewayOnFakes({ gw, fakes }));

  it('is off, and forwards the client’s traceparent and tracestate unchanged', async () => {
    expect(gw.app.get(TracingService).enabled).toBe(false);
    const traceparent = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
    const res = await chat(
      gw,
      { model: 'llama-4-scout', ...hello },
      { traceparent, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' },
    );
    await res.arrayBuffer();
    expect(headerOf(fakes.vllm, 'traceparent')).toBe(traceparent);
    expect(headerOf(fakes.vllm, 'tracestate')).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  });

  it('sends no trace headers upstream when the client sent none, and drops an invalid one', async () => {
    await (await chat(gw, { model: 'llama-4-scout', ...hello })).arrayBuffer();
    expect(headerOf(fakes.vllm, 'traceparent')).toBeUndefined();
    await (
      await chat(
        gw,
        { model: 'llama-4-scout', ...hello },
        { traceparent: `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`, tracestate: 'a=b' },
      )
    ).arrayBuffer();
    expect(headerOf(fakes.vllm, 'traceparent')).toBeUndefined();
    expect(headerOf(fakes.vllm, 'tracestate')).toBeUndefined();
  });
});
