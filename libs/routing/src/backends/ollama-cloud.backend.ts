import { Backend } from './backend';

/** Ollama Cloud's OpenAI-compatible API; `/v1/models` is free and needs the key. */
export class OllamaCloudBackend extends Backend {
  protected probeUrl(): string {
    return `${this.config.url}/models`;
  }
}
