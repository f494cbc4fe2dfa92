import { tracingFromEnv } from './tracing-env';

function tracing(env: Record<string, string>): ReturnType<typeof tracingFromEnv> {
  const problems: string[] = [];
  const result = tracingFromEnv(env, problems);
  expect(problems).toEqual([]);
  return result;
}

describe('tracingFromEnv (the OTEL_* rule)', () => {
  it('is off by default', () => {
    expect(tracing({})).toBeUndefined();
  });

  it('is on with an OTLP endpoint, sending to its /v1/traces', () => {
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      url: 'http://collector:4318/v1/traces',
      serviceName: 'dgx-llm-chat-gateway',
      sampler: 'parentbased_always_on',
    });
  });

  it('takes a traces endpoint as it is', () => {
    expect(
      tracing({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example/otlp/traces',
      })?.url,
    ).toBe('https://tempo.example/otlp/traces');
  });

  it('is on with OTEL_TRACES_EXPORTER=otlp alone, to the default local collector', () => {
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp' })?.url).toBe('http://localhost:4318/v1/traces');
  });

  it.each([
    ['OTEL_TRACES_EXPORTER=none', { OTEL_TRACES_EXPORTER: 'none' }],
    ['OTEL_TRACES_EXPORTER=console', { OTEL_TRACES_EXPORTER: 'console' }],
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }],
  ])('is off with %s even when an endpoint is set', (_name, env) => {
    expect(tracing({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBeUndefined();
  });

  it('reads headers, service name, resource attributes and the sampler', () => {
    expect(
      tracing({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-team=ai',
        OTEL_SERVICE_NAME: 'gw',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toEqual({
      url: 'http://c:4318/v1/traces',
      headers: { authorization: 'Bearer abc', 'x-team': 'ai' },
      serviceName: 'gw',
      resourceAttributes: { 'deployment.environment': 'prod' },
      sampler: 'parentbased_traceidratio',
      ratio: 0.25,
    });
  });

  it('refuses grpc, an unknown sampler, a bad ratio and a bad URL, naming each variable', () => {
    const problems: string[] = [];
    tracingFromEnv(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '2',
      },
      problems,
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
    ]);
  });
});
