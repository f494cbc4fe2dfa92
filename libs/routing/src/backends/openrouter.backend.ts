import { Backend } from './backend';

/** OpenRouter; `/models` is free. The attribution headers are OpenRouter's documented app identification. */
export class OpenRouterBackend extends Backend {
  protected probeUrl(): string {
    return `${this.config.url}/models`;
  }

  protected extraHeaders(): Record<string, string> {
    return {
      'http-referer': 'https://github.com/dgx-llm-chat-gateway',
      'x-title': 'DGX LLM Chat Gateway',
    };
  }
}
