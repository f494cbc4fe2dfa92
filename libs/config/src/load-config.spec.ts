import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.error';
import { backendEnvPrefix, loadConfig, sha256 } from './load-config';

const DEFAULT_YAML = readFileSync('config/gateway.yaml', 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
const keyEnv = { GATEWAY_API_KEYS: 'sk-test-0123456789abcdef' };

function writeConfig(text: string, name = 'gateway.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      return err.problems;
    }
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads the embedded default with its defaults and the documented backends', () => {
    const config = loadConfig(keyEnv);
    expect(config.server.port).toBe(8080);
    expect(config.server.body_limit_bytes).toBe(20 * 1024 * 1024);
    expect(config.routing.health_interval_seconds).toBe(10);
    expect(config.backends.map((b) => [b.name, b.kind, b.url])).toEqual([
      ['vllm', 'local', 'http://localhost:8000/v1'],
      ['ollama-cloud', 'cloud', 'https://ollama.com/v1'],
      ['openrouter', 'cloud', 'https://openrouter.ai/api/v1'],
    ]);
    expect(config.models).toHaveLength(13);
  });

  it('keeps only digests of client keys', () => {
    const config = loadConfig({
      GATEWAY_API_KEYS: ' alpha-key-0123456789 , beta-key-0123456789 ,',
    });
    expect(config.auth.keys.map((k) => k.name)).toEqual(['key-1', 'key-2']);
    expect(config.auth.keys[1].sha256.equals(sha256('beta-key-0123456789'))).toBe(true);
    expect(JSON.stringify(config)).not.toContain('alpha-key');
  });

  it('holds GATEWAY_API_KEYS to the keys file rule: at least 16 printable characters', () => {
    expect(problemsOf(() => loadConfig({ GATEWAY_API_KEYS: 'short-k1' }))).toContain(
      'GATEWAY_API_KEYS: key #1 must be 16–4096 printable characters without spaces',
    );
  });

  it('refuses to start without a client key unless insecure mode is explicit', () => {
    expect(problemsOf(() => loadConfig({})).join()).toMatch(
      /GATEWAY_API_KEYS: no client API key configured/,
    );
    const insecure = loadConfig({ GATEWAY_INSECURE_NO_AUTH: 'true' });
    expect(insecure.auth).toEqual({ keys: [], insecure: true });
  });

  it('applies BACKEND_<NAME>_* overrides with the documented name mangling', () => {
    expect(backendEnvPrefix('ollama-cloud')).toBe('BACKEND_OLLAMA_CLOUD_');
    const config = loadConfig({
      ...keyEnv,
      BACKEND_OLLAMA_CLOUD_URL: 'http://127.0.0.1:9999/v1/',
      BACKEND_OLLAMA_CLOUD_API_KEY: 'upstream-secret',
      BACKEND_OLLAMA_CLOUD_TYPE: 'litellm',
      PORT: '9090',
      BACKEND_HEALTH_INTERVAL_SECONDS: '3',
    });
    const ollama = config.backends.find((b) => b.name === 'ollama-cloud');
    expect(ollama).toMatchObject({
      url: 'http://127.0.0.1:9999/v1',
      api_key: 'upstream-secret',
      type: 'litellm',
    });
    expect(config.server.port).toBe(9090);
    expect(config.routing.health_interval_seconds).toBe(3);
  });

  it('names the env var when an env value is invalid', () => {
    const problems = problemsOf(() =>
      loadConfig({ ...keyEnv, PORT: 'eighty', BACKEND_VLLM_TYPE: 'tgi', LOG_LEVEL: 'chatty' }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: must be a whole number/),
        expect.stringMatching(/^BACKEND_VLLM_TYPE: must be one of/),
        expect.stringMatching(/^LOG_LEVEL: must be one of/),
      ]),
    );
  });

  it('names the bad key and its line in a bad file', () => {
    const bad = DEFAULT_YAML.replace('context_window: 262144', 'context_window: -5').replace(
      'typical_response_seconds: 3 }',
      'typical_response_seconds: 3, colour: red }',
    );
    const file = writeConfig(bad);
    const lineOf = (needle: string): number =>
      bad.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const problems = problemsOf(() => loadConfig({ ...keyEnv, GATEWAY_CONFIG: file }));
    expect(problems).toContain(
      `${file}:${lineOf('context_window: -5')}: models[1].context_window: must not be less than 1`,
    );
    expect(problems).toContain(
      `${file}:${lineOf('colour: red')}: models[9].constraints.colour: unknown key`,
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const file = writeConfig('server:\n  port: 1\n bad: [\n', 'broken.yaml');
    expect(problemsOf(() => loadConfig({ ...keyEnv, GATEWAY_CONFIG: file }))[0]).toMatch(
      new RegExp(`^${file}:\\d+: `),
    );
  });

  it('rejects routing to unknown backends or aliases, and cycles', () => {
    const bad = DEFAULT_YAML.replace(
      '{ backend: openrouter, model: x-ai/grok-4.20 }',
      '{ backend: groq, model: x }',
    )
      .replace('{ alias: gpt-image }', '{ alias: image-gen }')
      .replace('{ alias: gemini-3.1-pro }', '{ alias: nope }');
    const problems = problemsOf(() =>
      loadConfig({ ...keyEnv, GATEWAY_CONFIG: writeConfig(bad, 'routes.yaml') }),
    );
    expect(problems.join('\n')).toMatch(
      /models\[9\]\.routing\[0\]\.backend: unknown backend "groq"/,
    );
    expect(problems.join('\n')).toMatch(
      /models\[12\]\.routing\[1\]\.alias: routing cycle through "image-gen"/,
    );
    expect(problems.join('\n')).toMatch(/models\[5\]\.routing\[2\]\.alias: unknown alias "nope"/);
  });

  it('interpolates ${VAR} and ${VAR:-default}, and names a missing variable with its line', () => {
    const yaml = DEFAULT_YAML.replace('port: 8080', 'port: ${GW_PORT:-8181}').replace(
      'url: http://localhost:8000/v1',
      'url: ${VLLM_URL}',
    );
    const file = writeConfig(yaml, 'env.yaml');
    const config = loadConfig({ ...keyEnv, GATEWAY_CONFIG: file, VLLM_URL: 'http://dgx:8000/v1' });
    expect(config.server.port).toBe(8181);
    expect(config.backends[0].url).toBe('http://dgx:8000/v1');
    const line = yaml.split('\n').findIndex((l) => l.includes('${VLLM_URL}')) + 1;
    expect(problemsOf(() => loadConfig({ ...keyEnv, GATEWAY_CONFIG: file }))).toEqual([
      `${file}:${line}: environment variable VLLM_URL is not set (use \${VLLM_URL:-default})`,
    ]);
  });

  it('loads a keys file with per-key allowlists and rejects unknown aliases in it', () => {
    const keys = writeConfig(
      'keys:\n  - name: team-a\n    key: team-a-key-0123456789\n    models: [llama-4-scout]\n  - name: admin\n    key: admin-key-0123456789\n',
      'keys.yaml',
    );
    const config = loadConfig({ GATEWAY_API_KEYS_FILE: keys });
    expect(config.auth.keys.map((k) => [k.name, k.models && [...k.models]])).toEqual([
      ['team-a', ['llama-4-scout']],
      ['admin', undefined],
    ]);
    const bad = writeConfig(
      'keys:\n  - name: x\n    key: x-key-0123456789abc\n    models: [gpt-9]\n',
      'badkeys.yaml',
    );
    expect(problemsOf(() => loadConfig({ GATEWAY_API_KEYS_FILE: bad })).join()).toMatch(
      /badkeys\.yaml:4: keys\[0\]\.models: unknown alias gpt-9/,
    );
  });

  describe('limits in the keys file', () => {
    const keysFile = (text: string): string => writeConfig(text, 'limits-keys.yaml');

    it('merges key limits over GATEWAY_DEFAULT_* over the file defaults, per alias too', () => {
      const file = keysFile(
        [
          'alias_groups:',
          '  cloud: [gpt-5.5-pro, claude-opus-4.7]',
          'defaults:',
          '  limits:',
          '    requests_per_minute: 60',
          '    tokens_per_day: 1000',
          '    per_alias: { cloud: { requests_per_minute: 5 } }',
          'keys:',
          '  - name: team-a',
          '    key: team-a-key-0123456789',
          '    limits:',
          '      tokens_per_day: null',
          '      concurrent_requests: 4',
          '      per_alias: { cloud: { tokens_per_month: 9 }, gpt-5.5-pro: { requests_per_minute: 1 } }',
        ].join('\n'),
      );
      const config = loadConfig({
        GATEWAY_API_KEYS: 'plain-key-0123456789',
        GATEWAY_API_KEYS_FILE: file,
        GATEWAY_DEFAULT_REQUESTS_PER_MINUTE: '120',
      });
      expect(config.limits.groups).toEqual({ cloud: ['gpt-5.5-pro', 'claude-opus-4.7'] });
      const [plain, teamA] = config.auth.keys;
      expect(plain.limits).toEqual({
        requests_per_minute: 120,
        tokens_per_day: 1000,
        per_alias: { cloud: { requests_per_minute: 5 } },
      });
      expect(teamA.limits).toEqual({
        requests_per_minute: 120,
        concurrent_requests: 4,
        per_alias: {
          cloud: { requests_per_minute: 5, tokens_per_month: 9 },
          'gpt-5.5-pro': { requests_per_minute: 1 },
        },
      });
    });

    it('names every bad limit with its line', () => {
      const file = keysFile(
        [
          'alias_groups:',
          '  llama-4-scout: [gpt-5.5-pro]',
          '  cheap: [gpt-9]',
          'keys:',
          '  - name: team-a',
          '    key: team-a-key-0123456789',
          '    limits:',
          '      request_per_minute: 5',
          '      tokens_per_day: 0',
          '      per_alias: { nope: { requests_per_minute: 1 } }',
        ].join('\n'),
      );
      expect(problemsOf(() => loadConfig({ GATEWAY_API_KEYS_FILE: file }))).toEqual([
        expect.stringMatching(
          /:2: alias_groups\.llama-4-scout: "llama-4-scout" is already an alias/,
        ),
        expect.stringMatching(/:3: alias_groups\.cheap: unknown alias "gpt-9"/),
        expect.stringMatching(/:8: keys\[0\]\.limits\.request_per_minute: unknown limit/),
        expect.stringMatching(/:9: keys\[0\]\.limits\.tokens_per_day: must be a whole number ≥ 1/),
        expect.stringMatching(
          /:10: keys\[0\]\.limits\.per_alias\.nope: unknown alias or alias group/,
        ),
      ]);
    });

    it('reads REDIS_URL, the key prefix, the failure policy and the overload caps', () => {
      const config = loadConfig({
        ...keyEnv,
        REDIS_URL: 'redis://redis:6379/0',
        LIMITS_REDIS_FAILURE_POLICY: 'closed',
        GATEWAY_MAX_INFLIGHT_REQUESTS: '10',
      });
      expect(config.store).toEqual({ redis_url: 'redis://redis:6379/0', key_prefix: 'dgx-gw:' });
      expect(config.limits.redis_failure_policy).toBe('closed');
      expect(config.server.max_inflight_requests).toBe(10);
      expect(
        problemsOf(() =>
          loadConfig({ ...keyEnv, REDIS_URL: 'http://x', LIMITS_REDIS_FAILURE_POLICY: 'maybe' }),
        ),
      ).toEqual([
        'LIMITS_REDIS_FAILURE_POLICY: must be one of local, open, closed',
        'REDIS_URL: must be a redis:// or rediss:// URL',
      ]);
    });
  });
});
