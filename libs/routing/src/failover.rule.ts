/**
 * What one hop's outcome means for the fallback loop (LiteLLM's vocabulary: fallback = next hop,
 * cooldown = backend benched for a while).
 */
export type HopVerdict =
  | { action: 'serve' }
  | {
      action: 'next';
      penalty: 'failure' | 'unreachable' | 'bench';
      cooldownSeconds?: number;
      reason: string;
    }
  | { action: 'final' };

export interface UpstreamErrorShape {
  message?: unknown;
  code?: unknown;
  type?: unknown;
  param?: unknown;
}

/** Classifies an upstream HTTP answer. Errors the client's request caused are final; backend trouble moves on. */
export function classifyStatus(
  status: number,
  retryAfter: string | undefined,
  error?: UpstreamErrorShape,
): HopVerdict {
  if (status >= 200 && status < 300) {
    return { action: 'serve' };
  }
  if (status === 429) {
    return {
      action: 'next',
      penalty: 'bench',
      cooldownSeconds: parseRetryAfter(retryAfter),
      reason: 'rate_limited',
    };
  }
  if (status === 401 || status === 403) {
    return { action: 'next', penalty: 'bench', reason: `auth_${status}` };
  }
  if (status === 404 && isModelNotFound(error)) {
    return { action: 'next', penalty: 'bench', reason: 'model_not_found' };
  }
  if (status === 408 || status >= 500) {
    return { action: 'next', penalty: 'failure', reason: `status_${status}` };
  }
  return { action: 'final' };
}

/** A 200 whose JSON body is an error object (OpenRouter does this): the provider failed, not the client. */
export function classifyErrorBody(error: UpstreamErrorShape): HopVerdict {
  const code = typeof error.code === 'number' ? error.code : Number(error.code);
  if (Number.isInteger(code) && code >= 400 && code < 500 && code !== 408 && code !== 429) {
    return classifyStatus(code, undefined, error);
  }
  return { action: 'next', penalty: 'failure', reason: 'error_body' };
}

function isModelNotFound(error?: UpstreamErrorShape): boolean {
  const text = `${scalar(error?.code)} ${scalar(error?.message)}`.toLowerCase();
  return (
    /model_not_found|model .*(not found|does not exist)|no such model|unknown model/.test(text) ||
    !error
  );
}

/** `Retry-After` as seconds (delta or HTTP date), bounded to [1, 3600]; 30 when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number {
  if (!value) {
    return 30;
  }
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - now) / 1000;
  return Number.isFinite(seconds) ? Math.min(3600, Math.max(1, Math.ceil(seconds))) : 30;
}

function scalar(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}
