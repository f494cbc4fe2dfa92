import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestObserver } from './request-observer';
import { requestIdFor } from './request-id';
import { newRequestRecord, type ApiRoute, type RequestRecord } from './request-record';

/** A request as the telemetry middleware leaves it: an id and a lifecycle record. */
export interface IdentifiedRequest extends IncomingMessage {
  id: string;
  record: RequestRecord;
}

/**
 * First on every request: the request id (the client's `x-request-id` when well-formed, else a
 * UUID; echoed on the response and sent upstream) and the request's {@link RequestRecord}, which
 * the later stages fill and the {@link RequestObserver} reports once the response closes.
 */
@Injectable()
export class TelemetryMiddleware implements NestMiddleware {
  constructor(private readonly observer: RequestObserver) {}

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const id = requestIdFor(req.headers['x-request-id']);
    const record = newRequestRecord(id, routeOf(req.url));
    const identified = req as IdentifiedRequest;
    identified.id = id;
    identified.record = record;
    res.setHeader('x-request-id', id);
    this.observer.begin(record, req);
    res.once('close', () => this.observer.end(record, req, res));
    next();
  }
}

function routeOf(url: string | undefined): ApiRoute {
  if (url === undefined || !url.startsWith('/v1/')) {
    return 'other';
  }
  if (url.startsWith('/v1/chat/completions')) {
    return 'chat';
  }
  if (url.startsWith('/v1/responses')) {
    return 'responses';
  }
  return url.startsWith('/v1/images/') ? 'images' : 'other';
}
