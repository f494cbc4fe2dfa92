import { UpstreamRequestError } from '@app/contracts';
import type { UpstreamErrorShape } from './failover.rule';
import type { Redactor } from './redaction';

export function parseJson(text: Buffer | string): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : text.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The `error` object of an OpenAI-style error body, if that is what this is. */
export function errorOf(body: unknown): UpstreamErrorShape | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) {
    return undefined;
  }
  const { error } = body;
  if (typeof error === 'object' && error !== null) {
    return error;
  }
  return typeof error === 'string' ? { message: error } : undefined;
}

/**
 * Relays an error the client's request caused, normalised into the OpenAI envelope with the
 * provider's reason — redacted (an upstream may echo the request, our backend key included) and capped.
 */
export function toClientError(
  status: number,
  error: UpstreamErrorShape | undefined,
  redactor: Redactor,
): UpstreamRequestError {
  const message =
    typeof error?.message === 'string' && error.message
      ? redactor.redact(error.message)
      : `Upstream rejected the request (HTTP ${status}).`;
  const given =
    typeof error?.code === 'string' && /^[a-z0-9_.-]{1,64}$/i.test(error.code)
      ? error.code
      : undefined;
  const code = given ?? inferCode(status, message);
  const param = typeof error?.param === 'string' ? redactor.redact(error.param, 256) : null;
  const type =
    typeof error?.type === 'string' && /^[a-z0-9_.-]{1,64}$/i.test(error.type)
      ? error.type
      : undefined;
  return new UpstreamRequestError(
    status >= 400 && status < 500 ? status : 400,
    code,
    message,
    param,
    type,
  );
}

function inferCode(status: number, message: string): string {
  if (/context.{0,20}(length|window)|too many tokens|maximum context/i.test(message)) {
    return 'context_length_exceeded';
  }
  if (/content.?(policy|filter|management)|safety|moderation|flagged/i.test(message)) {
    return 'content_policy_violation';
  }
  return status === 413
    ? 'request_too_large'
    : status === 422
      ? 'unprocessable_entity'
      : 'invalid_request_error';
}
