import { Inject, Injectable } from '@nestjs/common';
import {
  GATEWAY_CONFIG,
  type BackendConfig,
  type BackendType,
  type GatewayConfig,
} from '@app/config';
import type { Backend } from './backends/backend';
import { LiteLlmBackend } from './backends/litellm.backend';
import { OllamaCloudBackend } from './backends/ollama-cloud.backend';
import { OpenAIBackend } from './backends/openai.backend';
import { OpenRouterBackend } from './backends/openrouter.backend';
import { VllmBackend } from './backends/vllm.backend';

const KINDS: Record<BackendType, new (config: BackendConfig) => Backend> = {
  vllm: VllmBackend,
  'ollama-cloud': OllamaCloudBackend,
  openrouter: OpenRouterBackend,
  litellm: LiteLlmBackend,
  openai: OpenAIBackend,
};

/** Every configured backend, built once at boot from its `type`. */
@Injectable()
export class BackendRegistry {
  private readonly byName: ReadonlyMap<string, Backend>;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.byName = new Map(config.backends.map((b) => [b.name, new KINDS[b.type](b)]));
  }

  get(name: string): Backend {
    const backend = this.byName.get(name);
    if (!backend) {
      throw new Error(`unknown backend ${name}`);
    }
    return backend;
  }

  all(): Backend[] {
    return [...this.byName.values()];
  }
}
