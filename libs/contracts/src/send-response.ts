import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import type { RequestRecord } from '@app/telemetry';
import { GatewayError, type OpenAIErrorBody } from './gateway.error';

const errorLog = new Logger('Errors');

/** Ends `res` with `body` as JSON (the status is whatever `res.statusCode` already says). */
export function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** How long, at most, a refused upload's connection stays open after the response (see lingerOnClose). */
export const LINGER_MAX_MS = 2_000;
/** How many more bytes, at most, are read and discarded from it meanwhile. */
export const LINGER_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Answers with `error` in the OpenAI envelope; past the headers only the socket can tell the client.
 * A refusal that leaves the request body unread (a 401 before the body, a 413 mid-body) closes the
 * connection, so Node neither keeps it nor reads and discards an upload of any size.
 */
export function sendError(res: ServerResponse, error: GatewayError): void {
  const req = (res as ServerResponse & { req?: IncomingMessage & { record?: RequestRecord } }).req;
  if (req?.record) {
    req.record.errorCode = error.code;
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (req && !req.complete) {
    res.setHeader('Connection', 'close');
    lingerOnClose(req.socket);
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

/**
 * With `Connection: close`, Node destroys the socket as soon as the response is flushed. A client
 * still uploading (fetch streaming a body, the OpenAI SDK) then fails its next write with EPIPE and
 * reports a network error instead of the response it already received. So the close lingers, as
 * web servers do: send FIN after the response, keep the socket open until the client closes, and
 * destroy it after {@link LINGER_MAX_MS} or {@link LINGER_MAX_BYTES} more bytes, whichever first.
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = (): void => {
    socket.end();
    const readAtStart = socket.bytesRead;
    const startedAt = Date.now();
    const check = setInterval(() => {
      if (
        socket.bytesRead - readAtStart > LINGER_MAX_BYTES ||
        Date.now() - startedAt >= LINGER_MAX_MS
      ) {
        socket.destroy();
      }
    }, 50);
    check.unref();
    socket.once('close', () => clearInterval(check));
  };
}
