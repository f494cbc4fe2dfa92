import type { ModelEntry } from '@app/config';
import type { ChatCompletionRequest } from '@app/contracts';
import type { RuleOutcome } from './rule-outcome';

/**
 * Raises `max_tokens` / `max_completion_tokens` to the alias's `min_max_tokens` when below it:
 * reasoning models spend that many hidden tokens before any visible content, and OpenAI via
 * OpenRouter refuses fewer than 16. A request that sets neither field is not given one.
 */
export function floorMaxTokens(entry: ModelEntry, req: ChatCompletionRequest): RuleOutcome {
  const floor = entry.constraints.min_max_tokens;
  if (floor === null) {
    return { request: req };
  }
  const raised: Partial<ChatCompletionRequest> = {};
  for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
    const value = req[field];
    if (typeof value === 'number' && value < floor) {
      raised[field] = floor;
    }
  }
  if (Object.keys(raised).length === 0) {
    return { request: req };
  }
  return { request: Object.assign({}, req, raised), applied: `max_tokens_floored=${floor}` };
}
