import type { ModelEntry } from '@app/config';
import type { ChatCompletionRequest } from '@app/contracts';
import type { RuleOutcome } from './rule-outcome';

/**
 * Image-output aliases answer with an image only when asked the way OpenRouter needs:
 * `modalities: ["image", "text"]`. A client that set `modalities` itself keeps its choice.
 * A dialect detail rather than an adjustment of the client's request, so nothing is reported.
 */
export function requestImageOutput(entry: ModelEntry, req: ChatCompletionRequest): RuleOutcome {
  if (!entry.modalities.output.includes('image') || req.modalities !== undefined) {
    return { request: req };
  }
  return { request: Object.assign({}, req, { modalities: ['image', 'text'] }) };
}
