import {
  Agent as HttpAgent,
  request as httpRequest,
  validateHeaderName,
  validateHeaderValue,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
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
  endpoint: UpstreamEndpoint;
  /** This call's own headers, besides the endpoint's. */
  headers?: Readonly<Record<string, string>>;
  body?: Buffer;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  signal?: Cancellation;
}

// Keep-alive pools shared by every backend: upstream connections are reused across requests. As
// many idle connections are kept as may be open: a smaller idle cap closes connections a burst
// opened, and the next burst pays for new ones. An idle connection is closed after 4 s, before the
// upstream closes it: uvicorn (vLLM) does after 5 s without saying so, and Node takes a server's
// `Keep-Alive: timeout` hint only when it is below the agent's own timeout.
const IDLE_CONNECTION_MS = 4_000;
const agents = {
  'http:': new HttpAgent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 256,
    scheduling: 'lifo',
    timeout: IDLE_CONNECTION_MS,
  }),
  'https:': new HttpsAgent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 256,
    scheduling: 'lifo',
    timeout: IDLE_CONNECTION_MS,
  }),
};

/**
 * Where a backend's calls go, worked out once: node:http's options for the URL and the headers every
 * call carries, checked once and kept as raw name/value pairs. A call then costs neither URL parsing
 * nor setHeader's per-header work; only its own headers are checked.
 */
export class UpstreamEndpoint {
  readonly options: Readonly<RequestOptions>;
  private readonly fixed: readonly string[];

  constructor(url: string | URL, headers: Readonly<Record<string, string>>) {
    const parsed = new URL(url);
    const secure = parsed.protocol === 'https:';
    this.options = {
      protocol: parsed.protocol,
      hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: parsed.port || (secure ? 443 : 80),
      path: `${parsed.pathname}${parsed.search}`,
      agent: agents[secure ? 'https:' : 'http:'],
    };
    // Credentials in the URL become Basic auth unless the backend sends its own (as node:http does).
    const basic =
      parsed.username || parsed.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`
        : undefined;
    const hasAuth = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
    this.fixed = rawHeaders({
      host: parsed.host,
      ...(basic && !hasAuth && { authorization: basic }),
      ...headers,
    });
  }

  /** The raw header pairs of one call: the endpoint's, then `extra`, then the body's length. */
  headersOf(
    extra: Readonly<Record<string, string>> | undefined,
    body: Buffer | undefined,
  ): string[] {
    const headers = [...this.fixed];
    if (extra) {
      headers.push(...rawHeaders(extra));
    }
    if (body) {
      headers.push('content-length', String(body.length));
    }
    return headers;
  }
}

function rawHeaders(headers: Readonly<Record<string, string | undefined>>): string[] {
  const raw: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) {
      validateHeaderName(name);
      validateHeaderValue(name, value);
      raw.push(name, value);
    }
  }
  return raw;
}

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
    const { options } = req.endpoint;
    const send = options.protocol === 'https:' ? httpsRequest : httpRequest;
    let failure: TransportError | undefined;
    const outgoing = send({
      protocol: options.protocol,
      hostname: options.hostname,
      port: options.port,
      path: options.path,
      agent: freshConnection ? false : options.agent,
      method: req.method,
      headers: req.endpoint.headersOf(req.headers, req.body),
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
    const subscription = req.signal?.onCancel(onAbort);
    const cleanup = (): void => {
      clearTimeout(headersTimer);
      clearTimeout(connectTimer);
      req.signal?.off(subscription);
    };
    outgoing.once('response', (res) => {
      cleanup();
      resolve(res);
    });
    outgoing.once('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      if (!failure && outgoing.reusedSocket && STALE.has(err.code ?? '') && !freshConnection) {
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

/** How a pooled connection the upstream closed shows up: a reset, or a write into a closed pipe. */
const STALE = new Set(['ECONNRESET', 'EPIPE']);

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
