import type { SimFlavor, SimOptions } from './sim-types';

/** The three backends of `npm run demo`. */
export const DEFAULT_INSTANCES =
  'vllm:vllm:8001,ollama-cloud:ollama:8002,openrouter:openrouter:8003';

const FLAVORS: Record<string, SimFlavor> = {
  vllm: 'vllm',
  ollama: 'ollama',
  'ollama-cloud': 'ollama',
  openrouter: 'openrouter',
};

function number(
  env: Record<string, string | undefined>,
  key: string,
  integer: boolean,
): number | undefined {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') {
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new Error(
      `${key} must be a non-negative ${integer ? 'integer' : 'number'}, got '${raw}'`,
    );
  }
  return n;
}

function instance(
  spec: string,
  source: string,
): Pick<SimOptions, 'name' | 'flavor' | 'port' | 'apiKey'> {
  const [name, flavor, port, ...key] = spec.split(':');
  const parsedPort = Number(port);
  if (
    !name ||
    !(flavor in FLAVORS) ||
    !Number.isInteger(parsedPort) ||
    parsedPort < 0 ||
    parsedPort > 65535
  ) {
    throw new Error(
      `${source}: '${spec}' is not name:flavor:port[:apiKey] with flavor vllm, ollama or openrouter`,
    );
  }
  const apiKey = key.length > 0 ? { apiKey: key.join(':') } : {};
  return { name, flavor: FLAVORS[flavor], port: parsedPort, ...apiKey };
}

/**
 * Reads the instances to start from argv (`name:flavor:port[:apiKey]` words) or `SIM_INSTANCES`
 * (comma-separated), and their shared pacing from `SIM_*`. Throws naming the bad key.
 */
export function parseSimCli(env: Record<string, string | undefined>, argv: string[]): SimOptions[] {
  const words = argv.filter((a) => a.trim() !== '');
  const source = words.length > 0 ? 'argv' : 'SIM_INSTANCES';
  const specs = (words.length > 0 ? words : (env.SIM_INSTANCES || DEFAULT_INSTANCES).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const shared: Partial<SimOptions> = {
    host: env.SIM_HOST || '127.0.0.1',
    ttftMs: number(env, 'SIM_TTFT_MS', true),
    tokensPerSecond: number(env, 'SIM_TOKENS_PER_SECOND', false),
    imageDelayMs: number(env, 'SIM_IMAGE_DELAY_MS', true),
    reasoningTokens: number(env, 'SIM_REASONING_TOKENS', true),
    apiKey: env.SIM_API_KEY || undefined,
    maxRecorded: 1000,
  };
  const names = new Set<string>();
  return specs.map((spec) => {
    const inst = instance(spec, source);
    if (names.has(inst.name)) {
      throw new Error(`${source}: instance name '${inst.name}' is used twice`);
    }
    names.add(inst.name);
    return { ...shared, ...inst, apiKey: inst.apiKey ?? shared.apiKey };
  });
}
