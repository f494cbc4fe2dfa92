import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { GatewayError, InternalError, MethodNotAllowedError } from './gateway.error';
import { sendFailure } from './send-response';

interface ExpressRouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/** Maps every failure to the OpenAI envelope. A 500 never carries internals; they go to the log only. */
@Catch()
export class OpenAIExceptionFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    sendFailure(res, `${req.method} ${req.path}`, exception, this.toGatewayError(exception, req));
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
