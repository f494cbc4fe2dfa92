import type { ChatCompletionRequest } from '@app/contracts';

/** What a rewriting rule returns: the request to forward (a copy when changed) and what it did. */
export interface RuleOutcome {
  request: ChatCompletionRequest;
  /** An `x-rust-api-applied` entry such as `max_tokens_floored=200`, when the rule changed something. */
  applied?: string;
}
