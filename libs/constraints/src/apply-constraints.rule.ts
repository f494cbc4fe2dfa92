import type { ModelEntry } from '@app/config';
import type { ChatCompletionRequest } from '@app/contracts';
import { requestImageOutput } from './image-output.rule';
import { floorMaxTokens } from './max-tokens-floor.rule';
import { checkModalities } from './modalities.rule';
import type { RuleOutcome } from './rule-outcome';

export interface ConstrainedRequest {
  /** The request to forward: the input itself when nothing changed, else a shallow copy. */
  request: ChatCompletionRequest;
  /** Adjustments made, in order, for the `x-rust-api-applied` header (e.g. `max_tokens_floored=200`). */
  applied: string[];
}

/**
 * Enforces one alias's catalog constraints on a validated request, in a fixed order: refusals
 * first (inputs the model cannot take), then the max_tokens floor and the image-output request
 * (the context window is a fact of each hop: see {@link applyHopRules}). Never mutates `req`; throws a
 * `ConstraintViolationError` (400) for a request the alias cannot serve. Called once per routing
 * hop with that hop's member alias, so a composite falling back to gpt-image gets gpt-image's rules.
 */
export function applyConstraints(
  member: ModelEntry,
  req: ChatCompletionRequest,
): ConstrainedRequest {
  checkModalities(member, req);
  const applied: string[] = [];
  let request = req;
  const rewrite = (outcome: RuleOutcome): void => {
    request = outcome.request;
    if (outcome.applied !== undefined) {
      applied.push(outcome.applied);
    }
  };
  rewrite(floorMaxTokens(member, request));
  rewrite(requestImageOutput(member, request));
  return { request, applied };
}
