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

/**
 * Sets the `x-ratelimit-*` headers from the per-minute rules of an admission: for each of requests
 * and tokens, the rule with the least left (key-wide or per alias) speaks.
 */
export function setRateLimitHeaders(
  res: ServerResponse,
  planned: readonly PlannedRule[],
  standings: readonly RuleStanding[],
): void {
  let requests: RuleStanding | undefined;
  let tokens: RuleStanding | undefined;
  planned.forEach(({ name }, i) => {
    const standing = standings[i];
    if (name === 'requests_per_minute' && (!requests || standing.remaining < requests.remaining)) {
      requests = standing;
    } else if (name === 'tokens_per_minute' && (!tokens || standing.remaining < tokens.remaining)) {
      tokens = standing;
    }
  });
  if (res.headersSent) {
    return;
  }
  if (requests) {
    setTrio(res, RATE_LIMIT_HEADERS.requests, requests);
  }
  if (tokens) {
    setTrio(res, RATE_LIMIT_HEADERS.tokens, tokens);
  }
}

function setTrio(
  res: ServerResponse,
  [limit, remaining, reset]: readonly [string, string, string],
  standing: RuleStanding,
): void {
  res.setHeader(limit, String(standing.limit));
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
