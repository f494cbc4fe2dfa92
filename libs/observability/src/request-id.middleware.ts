import { randomUUID } from 'node:crypto';
import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `x-request-id` when it is 1–128 of `[A-Za-z0-9._:-]`, otherwise a fresh UUID; never reflected verbatim when odd. */
export function requestIdFor(given: string | string[] | undefined): string {
  return typeof given === 'string' && CLIENT_ID.test(given) ? given : randomUUID();
}

export interface IdentifiedRequest extends IncomingMessage {
  id: string;
}

@Injectable()
export class RequestIdMiddleware implements NestMiddleware {
  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const id = requestIdFor(req.headers['x-request-id']);
    (req as IdentifiedRequest).id = id;
    res.setHeader('x-request-id', id);
    next();
  }
}
