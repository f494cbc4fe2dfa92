import { GatewayError } from '@app/contracts';

/** Retry headers of a refusal: `Retry-After` in whole seconds (at least 1) and `retry-after-ms`, which the OpenAI SDKs read first. */
export function retryHeaders(retryAfterMs: number): Record<string, string> {
  return {
    'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    'retry-after-ms': String(Math.max(1, Math.ceil(retryAfterMs))),
  };
}

/** A per-key rate or concurrency limit refused the request: 429 `rate_limit_exceeded`. */
export class RateLimitExceededError extends GatewayError {
  constructor(message: string, retryAfterMs: number, retryable = true) {
    super(429, 'rate_limit_exceeded', message, {
      type: 'rate_limit_error',
      headers: Object.assign(
        retryHeaders(retryAfterMs),
        retryable ? undefined : { 'x-should-retry': 'false' },
      ),
    });
  }
}

/**
 * A day or month token budget is spent: 429 `insufficient_quota`, as OpenAI answers. Retrying
 * before the window ends cannot succeed, so `x-should-retry: false` stops the SDKs' retry loop.
 */
export class QuotaExceededError extends GatewayError {
  constructor(message: string, retryAfterMs: number) {
    super(429, 'insufficient_quota', message, {
      type: 'insufficient_quota',
      headers: Object.assign(retryHeaders(retryAfterMs), { 'x-should-retry': 'false' }),
    });
  }
}

/** Redis is out and `LIMITS_REDIS_FAILURE_POLICY=closed`: no request is admitted unchecked. */
export class LimitsUnavailableError extends GatewayError {
  constructor() {
    super(
      503,
      'limits_unavailable',
      'The limit store is unreachable and the gateway admits no request it cannot check; retry shortly.',
      { headers: retryHeaders(1000) },
    );
  }
}
