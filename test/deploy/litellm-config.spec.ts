import { asArray, asObject, asString, readCatalog, readYaml } from './deploy-files';

const config = readYaml('deploy/litellm/config.yaml');
const catalog = readCatalog();

interface Deployment {
  modelName: string;
  params: Record<string, unknown>;
}

const deployments: Deployment[] = asArray(config.model_list, 'model_list').map((entry, i) => {
  const e = asObject(entry, `model_list[${i}]`);
  return {
    modelName: asString(e.model_name, `model_list[${i}].model_name`),
    params: asObject(e.litellm_params, `model_list[${i}].litellm_params`),
  };
});

const cloudBackends = new Set(
  catalog.backends.filter((b) => b.kind === 'cloud').map((b) => b.name),
);
const cloudHops = catalog.hops.filter((h) => cloudBackends.has(h.backend));

/** How the gateway names a litellm-type backend's model: "<backend name>/<upstream model id>". */
const litellmName = (backend: string, model: string): string => `${backend}/${model}`;

/** The LiteLLM provider route each cloud backend of the catalog maps to. */
const PROVIDER: Record<string, { prefix: string; apiKey: string; apiBase?: string }> = {
  'ollama-cloud': {
    prefix: 'ollama_chat/',
    apiKey: 'os.environ/OLLAMA_API_KEY',
    apiBase: 'https://ollama.com',
  },
  openrouter: { prefix: 'openrouter/', apiKey: 'os.environ/OPENROUTER_API_KEY' },
};

describe('deploy/litellm/config.yaml', () => {
  it('reads the catalog: cloud backends ollama-cloud and openrouter with routed hops', () => {
    expect([...cloudBackends].sort()).toEqual(['ollama-cloud', 'openrouter']);
    expect(cloudHops.length).toBeGreaterThan(10);
  });

  it('has exactly one entry per (cloud backend, model) pair the catalog routes, and no other', () => {
    const expected = [...new Set(cloudHops.map((h) => litellmName(h.backend, h.model)))].sort();
    const names = deployments.map((d) => d.modelName);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(expected);
  });

  it.each(cloudHops.map((h) => [h.alias, h.backend, h.model] as const))(
    '%s via %s (%s) reaches the right provider with the key from the environment',
    (_alias, backend, model) => {
      const deployment = deployments.find((d) => d.modelName === litellmName(backend, model));
      const provider = PROVIDER[backend];
      expect(provider).toBeDefined();
      expect(deployment?.params).toMatchObject({
        model: `${provider.prefix}${model}`,
        api_key: provider.apiKey,
        ...(provider.apiBase === undefined ? {} : { api_base: provider.apiBase }),
      });
    },
  );

  it('lets image-output models receive `modalities`', () => {
    const imageHops = cloudHops.filter((h) => h.outputsImages);
    expect(imageHops.map((h) => h.alias).sort()).toEqual(['gpt-image', 'nano-banana']);
    for (const hop of imageHops) {
      const deployment = deployments.find(
        (d) => d.modelName === litellmName(hop.backend, hop.model),
      );
      expect(deployment?.params.allowed_openai_params).toContain('modalities');
    }
  });

  it('leaves retries and cooldowns to the gateway', () => {
    expect(asObject(config.litellm_settings, 'litellm_settings').num_retries).toBe(0);
    const router = asObject(config.router_settings, 'router_settings');
    expect(router.num_retries).toBe(0);
    expect(router.disable_cooldowns).toBe(true);
  });

  it('lets the longest model call finish before LiteLLM times out', () => {
    const longest = catalog.maxHeadersTimeoutSeconds;
    expect(longest).toBe(240);
    expect(Number(asObject(config.litellm_settings, 'ls').request_timeout)).toBeGreaterThan(
      longest,
    );
    expect(Number(asObject(config.router_settings, 'rs').timeout)).toBeGreaterThan(longest);
    for (const d of deployments) {
      expect(Number(d.params.timeout)).toBeGreaterThan(longest);
    }
  });

  it('reads its master key and provider keys from the environment, no literal secret', () => {
    expect(asObject(config.general_settings, 'general_settings').master_key).toBe(
      'os.environ/LITELLM_MASTER_KEY',
    );
    for (const d of deployments) {
      expect(d.params.api_key).toMatch(/^os\.environ\/[A-Z_]+$/);
    }
  });
});
