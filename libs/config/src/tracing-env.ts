import type { TracingConfig, TracingSampler } from './gateway-config';

type Env = Record<string, string | undefined>;

const SAMPLERS: readonly TracingSampler[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/** The OTLP/HTTP default of the OpenTelemetry specification. */
const DEFAULT_ENDPOINT = 'http://localhost:4318';

/**
 * Tracing from the standard `OTEL_*` variables, or undefined (off). On when
 * `OTEL_TRACES_EXPORTER` lists `otlp`; when that variable is unset, on when
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Always off with
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
 */
export function tracingFromEnv(env: Env, problems: string[]): TracingConfig | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') {
    return undefined;
  }
  const exporters = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const on = exporters
    ? exporters.split(',').some((e) => e.trim() === 'otlp')
    : Boolean(tracesEndpoint || endpoint);
  if (!on) {
    return undefined;
  }
  const url = tracesEndpoint || `${(endpoint || DEFAULT_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  const urlName = tracesEndpoint
    ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
    : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  if (!/^https?:\/\/[^\s/]+/.test(url)) {
    problems.push(`${urlName}: must be an http(s) URL`);
  }
  const protocol = (
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ||
    env.OTEL_EXPORTER_OTLP_PROTOCOL ||
    'http/json'
  ).trim();
  if (protocol !== 'http/json' && protocol !== 'http/protobuf') {
    problems.push(
      'OTEL_EXPORTER_OTLP_PROTOCOL: the gateway exports OTLP over HTTP (http/json); grpc is not supported',
    );
  }
  const sampler = (env.OTEL_TRACES_SAMPLER || 'parentbased_always_on').trim().toLowerCase();
  if (!SAMPLERS.includes(sampler as TracingSampler)) {
    problems.push(`OTEL_TRACES_SAMPLER: must be one of ${SAMPLERS.join(', ')}`);
  }
  const ratio = env.OTEL_TRACES_SAMPLER_ARG ? Number(env.OTEL_TRACES_SAMPLER_ARG) : 1;
  if (!(ratio >= 0 && ratio <= 1)) {
    problems.push('OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1');
  }
  const headersName = env.OTEL_EXPORTER_OTLP_TRACES_HEADERS
    ? 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'
    : 'OTEL_EXPORTER_OTLP_HEADERS';
  return {
    url,
    headers: keyValues(env[headersName], headersName, problems),
    serviceName: env.OTEL_SERVICE_NAME?.trim() || 'dgx-llm-chat-gateway',
    resourceAttributes: keyValues(
      env.OTEL_RESOURCE_ATTRIBUTES,
      'OTEL_RESOURCE_ATTRIBUTES',
      problems,
    ),
    sampler: sampler as TracingSampler,
    ratio,
  };
}

/** `k1=v1,k2=v2` with URL-encoded values (the OTel format of headers and resource attributes). */
function keyValues(
  value: string | undefined,
  name: string,
  problems: string[],
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of (value ?? '').split(',')) {
    if (pair.trim() === '') {
      continue;
    }
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (key === '') {
      problems.push(`${name}: expected key=value pairs separated by commas`);
      continue;
    }
    try {
      result[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      problems.push(`${name}: the value of ${key} is not valid URL encoding`);
    }
  }
  return result;
}
