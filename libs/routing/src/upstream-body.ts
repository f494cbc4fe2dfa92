import type { IncomingMessage } from 'node:http';
import { UpstreamRequestError } from '@app/contracts';
import type { UpstreamErrorShape } from './failover.rule';

const MAX_JSON_BYTES = 64 * 1024 * 1024;

/**
 * Reads a whole upstream body: bounded in size (image answers are a few MB of base64) and in
 * silence, so an upstream that stalls after its headers cannot hold the request forever.
 */
export function readBody(
  res: IncomingMessage,
  idleTimeoutMs: number,
  limit = MAX_JSON_BYTES,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const fail = (reason: string): void => {
      clearTimeout(timer);
      res.destroy();
      reject(new Error(reason));
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => fail('upstream body idle'), idleTimeoutMs);
    };
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        fail('upstream body over limit');
        return;
      }
      chunks.push(chunk);
      arm();
    });
    res.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    res.once('error', () => fail('upstream body failed'));
    res.once('aborted', () => fail('upstream body aborted'));
    arm();
  });
}

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

/** Relays an error the client's request caused, normalised into the OpenAI envelope with the provider's reason. */
export function toClientError(
  status: number,
  error: UpstreamErrorShape | undefined,
): UpstreamRequestError {
  const message =
    typeof error?.message === 'string' && error.message
      ? error.message.slice(0, 2000)
      : `Upstream rejected the request (HTTP ${status}).`;
  const given =
    typeof error?.code === 'string' && /^[a-z0-9_.-]{1,64}$/i.test(error.code)
      ? error.code
      : undefined;
  const code = given ?? inferCode(status, message);
  const param = typeof error?.param === 'string' ? error.param : null;
  const type = typeof error?.type === 'string' ? error.type : undefined;
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
