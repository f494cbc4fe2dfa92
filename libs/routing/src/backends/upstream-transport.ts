import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Cancellation } from '../cancellation';

/** Why an upstream call produced no response: each is a hard failure that moves to the next hop. */
export type TransportFailure =
  'connect_failed' | 'connect_timeout' | 'headers_timeout' | 'reset' | 'dns' | 'aborted';

export class TransportError extends Error {
  constructor(
    readonly kind: TransportFailure,
    readonly code?: string,
  ) {
    super(`upstream ${kind}${code ? ` (${code})` : ''}`);
    this.name = 'TransportError';
  }
}

export interface TransportRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  signal?: Cancellation;
}

// Keep-alive pools shared by every backend: upstream connections are reused across requests.
const agents = {
  'http:': new HttpAgent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    scheduling: 'lifo',
  }),
  'https:': new HttpsAgent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    scheduling: 'lifo',
  }),
};

/**
 * One HTTP exchange up to the response headers, with separate connect and time-to-headers budgets.
 * The body stream is returned unread, so callers relay it with backpressure.
 *
 * node:http rather than axios on this path: axios has no connect-vs-headers split and wraps the
 * stream we need to relay; axios remains for the simple probe requests.
 */
export function sendUpstream(req: TransportRequest): Promise<IncomingMessage> {
  return exchange(req, false);
}

function exchange(req: TransportRequest, freshConnection: boolean): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
    let failure: TransportError | undefined;
    const outgoing = send(req.url, {
      method: req.method,
      headers: req.body
        ? { ...req.headers, 'content-length': String(req.body.length) }
        : req.headers,
      agent: freshConnection ? false : agents[req.url.protocol as 'http:' | 'https:'],
    });
    const fail = (error: TransportError): void => {
      failure ??= error;
      outgoing.destroy(error);
    };
    const headersTimer = setTimeout(
      () => fail(new TransportError('headers_timeout')),
      req.headersTimeoutMs,
    );
    let connectTimer: NodeJS.Timeout | undefined;
    outgoing.once('socket', (socket) => {
      if (socket.connecting) {
        connectTimer = setTimeout(
          () => fail(new TransportError('connect_timeout')),
          req.connectTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(connectTimer));
      }
    });
    const onAbort = (): void => fail(new TransportError('aborted'));
    req.signal?.onCancel(onAbort);
    const cleanup = (): void => {
      clearTimeout(headersTimer);
      clearTimeout(connectTimer);
      req.signal?.off(onAbort);
    };
    outgoing.once('response', (res) => {
      cleanup();
      resolve(res);
    });
    outgoing.once('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      if (!failure && outgoing.reusedSocket && err.code === 'ECONNRESET' && !freshConnection) {
        // The keep-alive race: the upstream closed this idle pooled socket (vLLM's server after
        // 5 s) just as it was reused, before reading the request. Not a backend failure: the
        // request goes again, once, on a new connection (as Node's documentation advises).
        resolve(exchange(req, true));
        return;
      }
      reject(failure ?? classifyNetworkError(err));
    });
    if (req.signal?.aborted) {
      onAbort();
      return;
    }
    outgoing.end(req.body);
  });
}

function classifyNetworkError(err: NodeJS.ErrnoException): TransportError {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TransportError('dns', err.code);
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TransportError('connect_failed', err.code);
    default:
      return new TransportError('reset', err.code);
  }
}
