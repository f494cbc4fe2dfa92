import { Backend } from './backend';

/** Local vLLM: `/health` is its liveness route (200 once the model is loaded). */
export class VllmBackend extends Backend {
  protected probeUrl(): string {
    return `${this.origin()}/health`;
  }
}
