import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { Document, LineCounter, isScalar, parse, parseDocument, visit } from 'yaml';
import { ConfigError } from './config.error';
import { GatewayFileSchema, KeysFileSchema } from './config.schema';
import { tracingFromEnv } from './tracing-env';
import {
  LIMIT_NAMES,
  type AuthConfig,
  type BackendConfig,
  type BackendHop,
  type ClientKey,
  type GatewayConfig,
  type LimitsConfig,
  type LogLevelName,
  type ModelEntry,
  type RedisFailurePolicy,
  type StoreConfig,
} from './gateway-config';
import {
  readAliasGroups,
  readLimits,
  resolveLimits,
  type KeyLimitLayer,
  type LimitLayer,
} from './limits-config';

export const DEFAULT_CONFIG_PATH = 'config/gateway.yaml';

type Env = Record<string, string | undefined>;
type PathSegment = string | number;

interface ParsedYaml {
  doc: Document;
  lines: LineCounter;
  file: string;
}

/**
 * Loads, interpolates and validates the gateway configuration once, at boot.
 * Every problem found is reported together, each naming its key and line or its env var.
 */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const file = resolve(env.GATEWAY_CONFIG || DEFAULT_CONFIG_PATH);
  const parsed = parseYamlFile(file, env);
  const schema = validateAgainst(GatewayFileSchema, parsed);

  const problems: string[] = [];
  const backends = schema.backends.map((b) => applyBackendEnv(b as BackendConfig, env, problems));
  // Plain hop objects: a schema instance carries every declared field, even the undefined ones.
  const models = schema.models.map(
    (m): ModelEntry =>
      ({
        ...m,
        routing: m.routing.map((h) =>
          h.alias !== undefined
            ? { alias: h.alias }
            : {
                backend: h.backend ?? '',
                model: h.model ?? '',
                ...(h.context_window !== undefined && { context_window: h.context_window }),
                ...(h.max_output_tokens !== undefined && {
                  max_output_tokens: h.max_output_tokens,
                }),
                ...(h.data_leaves_dgx !== undefined && { data_leaves_dgx: h.data_leaves_dgx }),
                ...(h.unsupported_params !== undefined && {
                  unsupported_params: h.unsupported_params as BackendHop['unsupported_params'],
                }),
              },
        ),
      }) as unknown as ModelEntry,
  );
  const server = { ...schema.server };
  const routing = { ...schema.routing };
  server.host = env.HOST || server.host;
  server.port = envInt(env, 'PORT', server.port, 0, 65535, problems);
  server.metrics_port = envInt(env, 'METRICS_PORT', server.metrics_port, 0, 65535, problems);
  server.body_limit_bytes = envInt(
    env,
    'GATEWAY_BODY_LIMIT_BYTES',
    server.body_limit_bytes,
    1024,
    2 ** 31,
    problems,
  );
  server.shutdown_delay_seconds = envInt(
    env,
    'SHUTDOWN_DELAY_SECONDS',
    server.shutdown_delay_seconds,
    0,
    3600,
    problems,
  );
  server.shutdown_grace_seconds = envInt(
    env,
    'SHUTDOWN_GRACE_SECONDS',
    server.shutdown_grace_seconds,
    0,
    86400,
    problems,
  );
  server.max_inflight_requests = envInt(
    env,
    'GATEWAY_MAX_INFLIGHT_REQUESTS',
    server.max_inflight_requests,
    0,
    1_000_000,
    problems,
  );
  server.max_inflight_body_bytes = envInt(
    env,
    'GATEWAY_MAX_INFLIGHT_BODY_BYTES',
    server.max_inflight_body_bytes,
    0,
    2 ** 40,
    problems,
  );
  routing.health_interval_seconds = envInt(
    env,
    'BACKEND_HEALTH_INTERVAL_SECONDS',
    routing.health_interval_seconds,
    1,
    86400,
    problems,
  );

  problems.push(...crossCheck(backends, models, parsed));
  const logLevel = parseLogLevel(env, problems);
  const tracing = tracingFromEnv(env, problems);
  const { auth, groups } = loadAuth(env, new Set(models.map((m) => m.alias)), problems);
  const limits: LimitsConfig = {
    groups,
    redis_failure_policy: parseFailurePolicy(env, problems),
  };
  const store = loadStore(env, problems);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return {
    source: file,
    server,
    routing,
    backends,
    models,
    auth,
    limits,
    store,
    logLevel,
    ...(tracing && { tracing }),
  };
}

/** `BACKEND_<NAME>_*`: the backend name upper-cased, every non-alphanumeric turned into `_`. */
export function backendEnvPrefix(name: string): string {
  return `BACKEND_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
}

function parseYamlFile(file: string, env: Env): ParsedYaml {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `${file}:${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  const problems: string[] = [];
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) {
        return;
      }
      const line = node.range ? lines.linePos(node.range[0]).line : '?';
      node.value = interpolate(node.value, env, (name) =>
        problems.push(
          `${file}:${line}: environment variable ${name} is not set (use \${${name}:-default})`,
        ),
      );
    },
  });
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return { doc, lines, file };
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolate(value: string, env: Env, missing: (name: string) => void): unknown {
  const whole = /^\$\{[^}]+\}$/.test(value);
  const result = value.replace(REFERENCE, (_m, name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') {
      return v;
    }
    if (fallback === undefined) {
      missing(name);
      return '';
    }
    return fallback;
  });
  // A value that is one whole reference takes the type its text has (`port: ${PORT}` is a number).
  return whole && /^(-?\d+(\.\d+)?|true|false)$/.test(result) ? (parse(result) as unknown) : result;
}

function validateAgainst<T extends object>(cls: new () => T, { doc, lines, file }: ParsedYaml): T {
  const plain: unknown = doc.toJS();
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new ConfigError([`${file}: the document must be a mapping`]);
  }
  const instance = plainToInstance(cls, plain, { exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw new ConfigError(
      flatten(errors, []).map(([path, message]) => `${locate(file, doc, lines, path)}: ${message}`),
    );
  }
  return instance;
}

function flatten(errors: ValidationError[], parent: PathSegment[]): Array<[PathSegment[], string]> {
  return errors.flatMap((e) => {
    const path = [...parent, /^\d+$/.test(e.property) ? Number(e.property) : e.property];
    const own = Object.entries(e.constraints ?? {}).map(([rule, text]): [PathSegment[], string] => [
      path,
      rule === 'whitelistValidation'
        ? 'unknown key'
        : text.replace(new RegExp(`^${e.property} `), ''),
    ]);
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

function locate(file: string, doc: Document, lines: LineCounter, path: PathSegment[]): string {
  const name = path
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join('');
  for (let n = path.length; n > 0; n--) {
    const node: unknown = doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) {
      return `${file}:${lines.linePos(range[0]).line}: ${name}`;
    }
    if (n === path.length) {
      const pair = findKeyNode(doc, path);
      if (pair) {
        return `${file}:${lines.linePos(pair).line}: ${name}`;
      }
    }
  }
  return `${file}: ${name}`;
}

function findKeyNode(doc: Document, path: PathSegment[]): number | undefined {
  const parent: unknown = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  const items = (parent as { items?: Array<{ key: unknown }> } | undefined)?.items;
  const key = items?.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1])?.key;
  return isScalar(key) ? key.range?.[0] : undefined;
}

function applyBackendEnv(backend: BackendConfig, env: Env, problems: string[]): BackendConfig {
  const prefix = backendEnvPrefix(backend.name);
  const result: BackendConfig = { ...backend, api_key: backend.api_key || undefined };
  const url = env[`${prefix}URL`];
  if (url) {
    if (!/^https?:\/\/[^\s/]+/.test(url)) {
      problems.push(`${prefix}URL: must be an http(s) URL including /v1`);
    }
    result.url = url;
  }
  const key = env[`${prefix}API_KEY`];
  if (key) {
    result.api_key = key;
  }
  const type = env[`${prefix}TYPE`];
  if (type) {
    if (!['vllm', 'ollama-cloud', 'openrouter', 'litellm', 'openai'].includes(type)) {
      problems.push(
        `${prefix}TYPE: must be one of vllm, ollama-cloud, openrouter, litellm, openai`,
      );
    }
    result.type = type as BackendConfig['type'];
  }
  result.url = result.url.replace(/\/+$/, '');
  return result;
}

function crossCheck(
  backends: BackendConfig[],
  models: ModelEntry[],
  { doc, lines, file }: ParsedYaml,
): string[] {
  const problems: string[] = [];
  const at = (path: PathSegment[], message: string): number =>
    problems.push(`${locate(file, doc, lines, path)}: ${message}`);
  const backendNames = new Set<string>();
  backends.forEach((b, i) => {
    if (backendNames.has(b.name)) {
      at(['backends', i, 'name'], `duplicate backend "${b.name}"`);
    }
    backendNames.add(b.name);
  });
  const byAlias = new Map<string, ModelEntry>();
  models.forEach((m, i) => {
    if (byAlias.has(m.alias)) {
      at(['models', i, 'alias'], `duplicate alias "${m.alias}"`);
    }
    byAlias.set(m.alias, m);
    if (m.vision !== m.modalities.input.includes('image')) {
      at(['models', i, 'vision'], 'must agree with modalities.input (image)');
    }
  });
  models.forEach((m, i) =>
    m.routing.forEach((hop, j) => {
      if ('alias' in hop && hop.alias !== undefined) {
        if (!byAlias.has(hop.alias)) {
          at(['models', i, 'routing', j, 'alias'], `unknown alias "${hop.alias}"`);
        } else if (reaches(hop.alias, m.alias, byAlias, new Set())) {
          at(['models', i, 'routing', j, 'alias'], `routing cycle through "${hop.alias}"`);
        }
      } else if ('backend' in hop) {
        if (!backendNames.has(hop.backend)) {
          at(['models', i, 'routing', j, 'backend'], `unknown backend "${hop.backend}"`);
        }
        for (const [param, action] of Object.entries(hop.unsupported_params ?? {})) {
          if (action !== 'drop' && action !== 'refuse') {
            at(['models', i, 'routing', j, 'unsupported_params', param], 'must be drop or refuse');
          }
        }
        if ((hop.context_window ?? 0) > m.context_window) {
          at(
            ['models', i, 'routing', j, 'context_window'],
            `must not exceed the alias's context_window (${m.context_window})`,
          );
        }
      }
    }),
  );
  return problems;
}

function reaches(
  from: string,
  target: string,
  byAlias: Map<string, ModelEntry>,
  seen: Set<string>,
): boolean {
  if (from === target) {
    return true;
  }
  if (seen.has(from)) {
    return false;
  }
  seen.add(from);
  return (byAlias.get(from)?.routing ?? []).some(
    (h) => 'alias' in h && reaches(h.alias, target, byAlias, seen),
  );
}

const LOG_LEVELS: LogLevelName[] = ['error', 'warn', 'log', 'debug', 'verbose'];

function parseLogLevel(env: Env, problems: string[]): LogLevelName {
  const raw = (env.LOG_LEVEL || 'log').toLowerCase();
  const level = raw === 'info' ? 'log' : raw;
  if (!LOG_LEVELS.includes(level as LogLevelName)) {
    problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);
    return 'log';
  }
  return level as LogLevelName;
}

function envInt(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    problems.push(
      `${name}: must be a whole number from ${min} to ${max} (got "${raw.slice(0, 32)}")`,
    );
    return fallback;
  }
  return value;
}

/** The same rule as the keys file: 16–4096 printable characters without spaces. */
const TOKEN = /^[\x21-\x7e]{16,4096}$/;

const FAILURE_POLICIES: RedisFailurePolicy[] = ['local', 'open', 'closed'];

function parseFailurePolicy(env: Env, problems: string[]): RedisFailurePolicy {
  const raw = (env.LIMITS_REDIS_FAILURE_POLICY || 'local').toLowerCase();
  if (!FAILURE_POLICIES.includes(raw as RedisFailurePolicy)) {
    problems.push(`LIMITS_REDIS_FAILURE_POLICY: must be one of ${FAILURE_POLICIES.join(', ')}`);
    return 'local';
  }
  return raw as RedisFailurePolicy;
}

function loadStore(env: Env, problems: string[]): StoreConfig {
  const url = env.REDIS_URL?.trim();
  if (url && !/^rediss?:\/\/[^\s]+$/.test(url)) {
    problems.push('REDIS_URL: must be a redis:// or rediss:// URL');
  }
  const prefix = env.REDIS_KEY_PREFIX ?? 'dgx-gw:';
  if (!/^[\x21-\x7e]{0,64}$/.test(prefix)) {
    problems.push('REDIS_KEY_PREFIX: must be at most 64 printable characters without spaces');
  }
  return { ...(url && { redis_url: url }), key_prefix: prefix };
}

/** `GATEWAY_DEFAULT_<LIMIT>`: defaults for every key, over the keys file's `defaults.limits`. */
function envLimitDefaults(env: Env, problems: string[]): LimitLayer {
  const layer: LimitLayer = {};
  for (const name of LIMIT_NAMES) {
    const value = envInt(env, `GATEWAY_DEFAULT_${name.toUpperCase()}`, 0, 1, 2 ** 52, problems);
    if (value > 0) {
      layer[name] = value;
    }
  }
  return layer;
}

function loadAuth(
  env: Env,
  aliases: Set<string>,
  problems: string[],
): { auth: AuthConfig; groups: Record<string, string[]> } {
  const keys: ClientKey[] = [];
  let groups: Record<string, string[]> = {};
  let fileDefaults: KeyLimitLayer | undefined;
  const envDefaults = envLimitDefaults(env, problems);
  const fileKeys: ClientKey[] = [];
  const add = (
    name: string,
    key: string,
    models?: string[],
    dataPolicy?: string,
    limits?: KeyLimitLayer,
    into: ClientKey[] = keys,
  ): void => {
    const resolved = resolveLimits([fileDefaults, envDefaults, limits]);
    into.push({
      name,
      sha256: sha256(key),
      models: models ? new Set(models) : undefined,
      ...(dataPolicy === 'local_only' && { dataPolicy: dataPolicy }),
      ...(resolved && { limits: resolved }),
    });
  };
  const plain: Array<[string, string]> = [];
  (env.GATEWAY_API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0)
    .forEach((key, i) => {
      if (!TOKEN.test(key)) {
        problems.push(
          `GATEWAY_API_KEYS: key #${i + 1} must be 16–4096 printable characters without spaces`,
        );
      } else {
        plain.push([`key-${i + 1}`, key]);
      }
    });
  if (env.GATEWAY_API_KEYS_FILE) {
    const file = resolve(env.GATEWAY_API_KEYS_FILE);
    try {
      const parsed = parseYamlFile(file, {});
      const schema = validateAgainst(KeysFileSchema, parsed);
      const at = (path: PathSegment[], message: string): number =>
        problems.push(`${locate(file, parsed.doc, parsed.lines, path)}: ${message}`);
      groups = readAliasGroups(schema.alias_groups, aliases, at);
      const scopes = new Set([...aliases, ...Object.keys(groups)]);
      if (schema.defaults?.limits !== undefined) {
        fileDefaults = readLimits(schema.defaults.limits, ['defaults', 'limits'], scopes, at);
      }
      schema.keys.forEach((k, i) => {
        const unknown = (k.models ?? []).filter((m) => !aliases.has(m));
        if (unknown.length > 0) {
          at(['keys', i, 'models'], `unknown alias ${unknown.join(', ')}`);
        }
        const limits =
          k.limits === undefined
            ? undefined
            : readLimits(k.limits, ['keys', i, 'limits'], scopes, at);
        add(k.name, k.key, k.models, k.data_policy, limits, fileKeys);
      });
    } catch (err) {
      problems.push(...(err instanceof ConfigError ? err.problems : [String(err)]));
    }
  }
  // Plain keys take the defaults, which the keys file (read above) may declare.
  plain.forEach(([name, key]) => add(name, key));
  keys.push(...fileKeys);
  const insecure = /^(1|true|yes)$/i.test(env.GATEWAY_INSECURE_NO_AUTH ?? '');
  if (keys.length === 0 && !insecure) {
    problems.push(
      'GATEWAY_API_KEYS: no client API key configured (set GATEWAY_API_KEYS or GATEWAY_API_KEYS_FILE; ' +
        'GATEWAY_INSECURE_NO_AUTH=true runs without authentication, for local development only)',
    );
  }
  return { auth: { keys, insecure: insecure && keys.length === 0 }, groups };
}

/** SHA-256 digest of a client token; tokens are compared as digests, in constant time. */
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
