import type { ServerResponse } from 'node:http';
import type { RuleStanding } from '@app/store';
import type { PlannedRule } from './limit-plan';

/** OpenAI's rate-limit response headers, for requests and for tokens. */
export const RATE_LIMIT_HEADERS = {
  requests: [
    'x-ratelimit-limit-requests',
    'x-ratelimit-remaining-requests',
    'x-ratelimit-reset-requests',
  ],
  tokens: ['x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'],
} as const;

/** What a response reports per minute: for requests and for tokens, the tightest standing seen. */
export interface RateLimitView {
  requests?: RuleStanding;
  tokens?: RuleStanding;
}

/**
 * The one place the `x-ratelimit-*` headers are written: after each check of a request's limits
 * (key-wide before the body, per alias once the model is known), `view` keeps, for requests and
 * for tokens, the per-minute rule with the least left, and the trios are set from it. They are
 * set on the response before anything is sent, so every answer carries them: JSON, stream, an
 * error after admission, a 429. Without a per-minute rule there is nothing to report, and no trio.
 */
export function reportRateLimits(
  res: ServerResponse,
  view: RateLimitView,
  planned: readonly PlannedRule[],
  standings: readonly RuleStanding[],
): void {
  // A trio is (re)written only when its standing changed: the headers hold the view.
  const requestsBefore = view.requests;
  const tokensBefore = view.tokens;
  for (let i = 0; i < planned.length; i++) {
    const name = planned[i].name;
    const standing = standings[i];
    if (name === 'requests_per_minute') {
      if (!view.requests || standing.remaining < view.requests.remaining) {
        view.requests = standing;
      }
    } else if (name === 'tokens_per_minute') {
      if (!view.tokens || standing.remaining < view.tokens.remaining) {
        view.tokens = standing;
      }
    }
  }
  if (res.headersSent) {
    return;
  }
  if (view.requests !== requestsBefore) {
    setTrio(res, RATE_LIMIT_HEADERS.requests, view.requests!, requestsBefore);
  }
  if (view.tokens !== tokensBefore) {
    setTrio(res, RATE_LIMIT_HEADERS.tokens, view.tokens!, tokensBefore);
  }
}

function setTrio(
  res: ServerResponse,
  [limit, remaining, reset]: readonly [string, string, string],
  standing: RuleStanding,
  before: RuleStanding | undefined,
): void {
  if (standing.limit !== before?.limit) {
    res.setHeader(limit, String(standing.limit));
  }
  res.setHeader(remaining, String(standing.remaining));
  res.setHeader(reset, formatDuration(standing.resetMs));
}

/** OpenAI's duration format: `20ms`, `1.5s`, `6m0s`, `1h2m3s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.max(0, Math.ceil(ms))}ms`;
  }
  if (ms < 60_000) {
    return `${Math.ceil(ms / 100) / 10}s`;
  }
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}
