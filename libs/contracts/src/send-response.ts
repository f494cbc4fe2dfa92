import type { ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { GatewayError, type OpenAIErrorBody } from './gateway.error';

const errorLog = new Logger('Errors');

/** Ends `res` with `body` as JSON (the status is whatever `res.statusCode` already says). */
export function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** Answers with `error` in the OpenAI envelope; past the headers only the socket can tell the client. */
export function sendError(res: ServerResponse, error: GatewayError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = error.status;
  for (const [name, value] of Object.entries(error.headers)) {
    res.setHeader(name, value);
  }
  sendJson(res, error.toBody() satisfies OpenAIErrorBody);
}

/**
 * Answers a failure of `what` (e.g. `POST /v1/models`) as `error`, its client-facing form. An
 * exception that is not a {@link GatewayError} and ends in a 5xx goes to the log with its stack,
 * which never reaches the client.
 */
export function sendFailure(
  res: ServerResponse,
  what: string,
  exception: unknown,
  error: GatewayError,
): void {
  if (error.status >= 500 && !(exception instanceof GatewayError)) {
    errorLog.error(
      `${what} failed [${String(res.getHeader('x-request-id') ?? '-')}]`,
      exception instanceof Error ? exception.stack : String(exception),
    );
  }
  sendError(res, error);
}
