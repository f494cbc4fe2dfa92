import { Backend } from './backend';

/** Any other OpenAI-compatible server. */
export class OpenAIBackend extends Backend {
  protected probeUrl(): string {
    return `${this.config.url}/models`;
  }
}
