import type { ServerResponse } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import {
  GatewayError,
  InternalError,
  MethodNotAllowedError,
  type OpenAIErrorBody,
} from './gateway.error';

interface ExpressRouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/** Maps every failure to the OpenAI envelope. A 500 never carries internals; they go to the log only. */
@Catch()
export class OpenAIExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const error = this.toGatewayError(exception, req);
    if (error.status >= 500 && !(exception instanceof GatewayError)) {
      this.logger.error(
        `${req.method} ${req.path} failed [${String(res.getHeader('x-request-id') ?? '-')}]`,
        exception instanceof Error ? exception.stack : String(exception),
      );
    }
    sendError(res, error);
  }

  private toGatewayError(exception: unknown, req: Request): GatewayError {
    if (exception instanceof GatewayError) {
      return exception;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) {
        const allowed = this.allowedMethods(req.path);
        if (allowed.length > 0) {
          return new MethodNotAllowedError(req.method, allowed);
        }
        return new GatewayError(
          404,
          'not_found',
          `No route for ${req.method} ${req.path.slice(0, 200)}.`,
        );
      }
      return new GatewayError(
        status,
        status >= 500 ? 'internal_error' : httpCode(status),
        safeMessage(exception),
      );
    }
    return new InternalError();
  }

  private allowedMethods(path: string): string[] {
    const app = this.adapterHost.httpAdapter?.getInstance<{
      router?: { stack: ExpressRouteLayer[] };
    }>();
    const methods = new Set<string>();
    for (const layer of app?.router?.stack ?? []) {
      if (layer.route && layer.match(path)) {
        Object.keys(layer.route.methods)
          .filter((m) => m !== '_all')
          .forEach((m) => methods.add(m.toUpperCase()));
      }
    }
    return [...methods];
  }
}

/** Answers with `error` in the OpenAI envelope; past the headers only the socket can tell the client. */
export function sendError(res: ServerResponse, error: GatewayError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(error.toBody() satisfies OpenAIErrorBody);
  res.statusCode = error.status;
  for (const [name, value] of Object.entries(error.headers)) {
    res.setHeader(name, value);
  }
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

function httpCode(status: number): string {
  return (
    {
      400: 'invalid_request_error',
      401: 'invalid_api_key',
      403: 'permission_denied',
      405: 'method_not_allowed',
      408: 'request_timeout',
      413: 'request_too_large',
      415: 'unsupported_media_type',
      429: 'rate_limit_exceeded',
    }[status] ?? `http_${status}`
  );
}

function safeMessage(exception: HttpException): string {
  const response = exception.getResponse();
  const message =
    typeof response === 'object' && response !== null
      ? (response as { message?: unknown }).message
      : response;
  return Array.isArray(message)
    ? message.join('; ')
    : typeof message === 'string'
      ? message
      : exception.message;
}
