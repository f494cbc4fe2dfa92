import { startSim, type SimServer } from '../../apps/upstream-sim/src';

export const UPSTREAM_KEYS = {
  vllm: 'vllm-upstream-key-123',
  ollama: 'ollama-upstream-key-456',
  openrouter: 'openrouter-upstream-key-789',
};

/** The API key each fake requires (and the gateway is given for it). */
export type UpstreamKeys = typeof UPSTREAM_KEYS;

export interface FakeBackends {
  vllm: SimServer;
  ollama: SimServer;
  openrouter: SimServer;
  /** Env that points the gateway's three backends at these fakes. */
  env: Record<string, string>;
  all(): SimServer[];
  close(): Promise<void>;
}

/** Three in-process OpenAI-compatible fakes standing in for vLLM, Ollama Cloud and OpenRouter. */
export async function startBackends(keys: UpstreamKeys = UPSTREAM_KEYS): Promise<FakeBackends> {
  const [vllm, ollama, openrouter] = await Promise.all([
    startSim({ name: 'vllm', flavor: 'vllm', apiKey: keys.vllm }),
    startSim({ name: 'ollama-cloud', flavor: 'ollama', apiKey: keys.ollama }),
    startSim({ name: 'openrouter', flavor: 'openrouter', apiKey: keys.openrouter }),
  ]);
  return {
    vllm,
    ollama,
    openrouter,
    env: {
      BACKEND_VLLM_URL: vllm.url,
      BACKEND_VLLM_API_KEY: keys.vllm,
      BACKEND_OLLAMA_CLOUD_URL: ollama.url,
      BACKEND_OLLAMA_CLOUD_API_KEY: keys.ollama,
      BACKEND_OPENROUTER_URL: openrouter.url,
      BACKEND_OPENROUTER_API_KEY: keys.openrouter,
    },
    all: () => [vllm, ollama, openrouter],
    close: async () => {
      await Promise.all([vllm.close(), ollama.close(), openrouter.close()]);
    },
  };
}

/** Reads an SSE response body into its `data:` payloads. */
export async function sseEvents(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split(/\n\n/)
    .map((block) => /^data: ?(.*)$/m.exec(block)?.[1])
    .filter((d): d is string => d !== undefined);
}
