/** Reasoning support of a model: hidden thinking always, never, or switchable per request. */
export type Reasoning = boolean | 'configurable';
export type Modality = 'text' | 'image' | 'audio' | 'video';
export type BackendType = 'vllm' | 'ollama-cloud' | 'openrouter' | 'litellm' | 'openai';
export type BackendKind = 'local' | 'cloud';

/** Client-relevant quirks enforced before a request is forwarded (design document, "constraints schema"). */
export interface ModelConstraints {
  min_max_tokens: number | null;
  accepts_image_url: boolean;
  typical_response_seconds: number;
}

/** What a hop does with a request parameter its build of the model does not take. */
export type UnsupportedParamAction = 'drop' | 'refuse';

/** A backend step of a chain, with the facts of that backend's build of the model. */
export interface BackendHop {
  backend: string;
  model: string;
  /** This build's context window; the alias's when absent. */
  context_window?: number;
  /** This build's cap on completion tokens: a larger `max_tokens` is lowered (visibly). */
  max_output_tokens?: number;
  /** Whether prompts leave the DGX on this hop; by default, whether the backend is `cloud`. */
  data_leaves_dgx?: boolean;
  /** Request parameters this build does not take, dropped visibly or refused. */
  unsupported_params?: Record<string, UnsupportedParamAction>;
}

/** One step of an alias's routing chain: a backend with its upstream model id, or another alias. */
export type RoutingHop = BackendHop | { alias: string };

/** Where a key's (or a request's) prompts may go. */
export type DataPolicy = 'any' | 'local_only';

export interface ModelEntry {
  alias: string;
  family: string;
  context_window: number;
  tools: boolean;
  vision: boolean;
  reasoning: Reasoning;
  modalities: { input: Modality[]; output: Modality[] };
  capabilities: string[];
  licensing: { license: string; open_weights: boolean };
  routing: RoutingHop[];
  constraints: ModelConstraints;
  /** Overrides the derived time-to-response-headers budget for this model's calls. */
  headers_timeout_seconds?: number;
}

export interface BackendConfig {
  name: string;
  type: BackendType;
  kind: BackendKind;
  /** OpenAI-compatible base URL including `/v1`. */
  url: string;
  /** The backend's own upstream key. Never logged or shown. */
  api_key?: string;
  description?: string;
}

export interface ServerConfig {
  /** Listen address: all interfaces by default (containers); 127.0.0.1 for local runs. */
  host: string;
  port: number;
  /** Port of the Prometheus `/metrics` listener (same host); 0 picks a free one. */
  metrics_port: number;
  body_limit_bytes: number;
  shutdown_delay_seconds: number;
  shutdown_grace_seconds: number;
  /** Requests in flight past which new ones get 503 `overloaded` before their body is read; 0: no cap. */
  max_inflight_requests: number;
  /** Request-body bytes held in memory (declared, or the body limit for chunked bodies) past which new requests get 503 `overloaded`; 0: no cap. */
  max_inflight_body_bytes: number;
}

export interface RoutingConfig {
  connect_timeout_ms: number;
  headers_timeout_factor: number;
  headers_timeout_min_ms: number;
  /** Longest quiet gap inside a stream (no complete line), and longest a slow client may stall it. */
  stream_idle_timeout_ms: number;
  /** Longest a stream may run once its first event arrived. */
  stream_max_duration_ms: number;
  /** Cap on the bytes one stream may relay. */
  stream_max_bytes: number;
  /** Cap on one SSE line or event (an image event carries a whole base64 image). */
  stream_max_event_bytes: number;
  /** Cap on a non-streamed upstream body (JSON answers, error bodies). */
  upstream_max_body_bytes: number;
  total_timeout_ms: number;
  failure_threshold: number;
  /** Consecutive failures are forgotten after this long without another. */
  failure_window_seconds: number;
  cooldown_seconds: number;
  health_interval_seconds: number;
}

/** A client key: only its SHA-256 digest is kept in memory. */
export interface ClientKey {
  name: string;
  sha256: Buffer;
  /** Aliases this key may use; undefined means all. */
  models?: ReadonlySet<string>;
  /** `local_only`: this key's prompts never leave the DGX. Absent: `any`. */
  dataPolicy?: DataPolicy;
  /** The key's limits (its own over the defaults); absent when it has none. */
  limits?: KeyLimits;
}

/** The per-key limits of the keys file, each optional. */
export const LIMIT_NAMES = [
  'requests_per_minute',
  'tokens_per_minute',
  'concurrent_requests',
  'tokens_per_day',
  'tokens_per_month',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];
export type LimitValues = Partial<Record<LimitName, number>>;

/** A key's limits: key-wide, plus further limits per alias or per alias group (`per_alias`). */
export interface KeyLimits extends LimitValues {
  /** By alias or group name: limits counted over the requests for that alias (or any alias of the group). */
  per_alias?: Record<string, LimitValues>;
}

/** What the limits stage does while Redis is unreachable. */
export type RedisFailurePolicy = 'local' | 'open' | 'closed';

export interface LimitsConfig {
  /** Named groups of aliases (`alias_groups` of the keys file), usable as `per_alias` entries. */
  groups: Record<string, string[]>;
  /** `local` (default): each replica enforces the limits on its own; `open`: no limits; `closed`: 503. */
  redis_failure_policy: RedisFailurePolicy;
}

export interface StoreConfig {
  /** `REDIS_URL`: limits and circuit state shared by every replica; absent: in this process's memory. */
  redis_url?: string;
  /** `REDIS_KEY_PREFIX`, `dgx-gw:` by default. */
  key_prefix: string;
}

export interface AuthConfig {
  keys: ClientKey[];
  /** Explicit development mode with no client authentication. */
  insecure: boolean;
}

/** How a trace is sampled (the `OTEL_TRACES_SAMPLER` values the gateway supports). */
export type TracingSampler =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** OpenTelemetry tracing, from the standard `OTEL_*` variables; absent when tracing is off. */
export interface TracingConfig {
  /** OTLP/HTTP traces URL (`…/v1/traces`). */
  url: string;
  /** Headers sent with each export (e.g. an auth token). Never logged. */
  headers: Record<string, string>;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  sampler: TracingSampler;
  /** The ratio of the `traceidratio` samplers. */
  ratio: number;
}

export interface GatewayConfig {
  source: string;
  server: ServerConfig;
  routing: RoutingConfig;
  backends: BackendConfig[];
  models: ModelEntry[];
  auth: AuthConfig;
  limits: LimitsConfig;
  store: StoreConfig;
  logLevel: LogLevelName;
  /** Absent: tracing is off (the client's `traceparent` is still forwarded unchanged). */
  tracing?: TracingConfig;
}

export type LogLevelName = 'error' | 'warn' | 'log' | 'debug' | 'verbose';
