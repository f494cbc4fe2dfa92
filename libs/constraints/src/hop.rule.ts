import type { UnsupportedParamAction } from '@app/config';
import { ConstraintViolationError, type ChatCompletionRequest } from '@app/contracts';

/** The facts of one hop's build of a model that shape a request for it. */
export interface HopFacts {
  maxOutputTokens?: number;
  unsupportedParams: Readonly<Record<string, UnsupportedParamAction>>;
}

export interface HopOutcome {
  request: ChatCompletionRequest;
  /** Adjustments made, for `x-rust-api-applied` (`param_dropped=logit_bias`, `max_tokens_capped=8192`). */
  applied: string[];
}

/**
 * Shapes a request for one hop's build, never silently: a parameter the hop does not take is
 * dropped and reported, or refused (400 `unsupported_parameter` naming it) as the catalog says;
 * a `max_tokens` over the hop's output cap is lowered and reported. Never mutates `req`.
 */
export function applyHopRules(hop: HopFacts, req: ChatCompletionRequest): HopOutcome {
  const applied: string[] = [];
  let request = req;
  for (const [param, action] of Object.entries(hop.unsupportedParams)) {
    if (request[param] === undefined) {
      continue;
    }
    if (action === 'refuse') {
      throw new ConstraintViolationError(
        'unsupported_parameter',
        `This model does not support '${param}'.`,
        param,
      );
    }
    request = { ...request };
    delete request[param];
    applied.push(`param_dropped=${param}`);
  }
  const cap = hop.maxOutputTokens;
  if (cap !== undefined) {
    for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
      const value = request[field];
      if (typeof value === 'number' && value > cap) {
        request = Object.assign({}, request, { [field]: cap });
        if (!applied.includes(`max_tokens_capped=${cap}`)) {
          applied.push(`max_tokens_capped=${cap}`);
        }
      }
    }
  }
  return { request, applied };
}
