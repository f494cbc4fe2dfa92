import type { ModelEntry } from '@app/config';
import type { ChatCompletionRequest } from '@app/contracts';

/** A catalog entry with the given overrides; defaults describe a text+image chat model. */
export function entry(overrides: Partial<ModelEntry> = {}): ModelEntry {
  return {
    alias: 'test-model',
    family: 'Test',
    context_window: 100_000,
    tools: true,
    vision: true,
    reasoning: false,
    modalities: { input: ['text', 'image'], output: ['text'] },
    capabilities: ['chat'],
    licensing: { license: 'x', open_weights: true },
    routing: [{ backend: 'vllm', model: 'm' }],
    constraints: { min_max_tokens: null, accepts_image_url: false, typical_response_seconds: 5 },
    ...overrides,
  };
}

export const withFloor = (min: number | null, overrides: Partial<ModelEntry> = {}): ModelEntry =>
  entry({
    ...overrides,
    constraints: { min_max_tokens: min, accepts_image_url: false, typical_response_seconds: 5 },
  });

export function chat(extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: 'test-model', messages: [{ role: 'user', content: 'hello' }], ...extra };
}

export const PNG = 'data:image/png;base64,iVBORw0KGgo=';
