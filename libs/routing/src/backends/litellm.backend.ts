import { Backend } from './backend';

/**
 * A cloud hop relayed by the LiteLLM proxy of the compose deployment. LiteLLM's model_name for a hop
 * is `<backend name>/<upstream id>` (e.g. `openrouter/openai/gpt-5.5-pro`), so one LiteLLM can serve
 * several logical backends; its master key is this backend's api_key.
 */
export class LiteLlmBackend extends Backend {
  get configured(): boolean {
    return true;
  }

  upstreamModel(model: string): string {
    return `${this.name}/${model}`;
  }

  protected probeUrl(): string {
    return `${this.origin()}/health/liveliness`;
  }
}
