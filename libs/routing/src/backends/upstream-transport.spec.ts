import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendUpstream, TransportError, UpstreamEndpoint } from './upstream-transport';

/** A server whose n-th request (1-based) is answered by `handle`; it counts connections too. */
async function serve(
  handle: (n: number, req: IncomingMessage, res: ServerResponse) => void,
): Promise<{
  url: URL;
  connections: () => number;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let requests = 0;
  let connections = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    handle(++requests, req, res);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/v1/chat/completions`),
    connections: () => connections,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const ok = (res: ServerResponse): void => {
  res.end('{"ok":true}');
};
const reset = (req: IncomingMessage): void => {
  req.socket.resetAndDestroy();
};

function post(url: URL): Promise<IncomingMessage> {
  return sendUpstream({
    method: 'POST',
    endpoint: new UpstreamEndpoint(url, { 'content-type': 'application/json' }),
    body: Buffer.from('{"model":"m"}'),
    connectTimeoutMs: 1000,
    headersTimeoutMs: 2000,
  });
}

async function statusOf(url: URL): Promise<number | undefined> {
  const res = await post(url);
  res.resume();
  await new Promise((resolve) => res.once('end', resolve));
  return res.statusCode;
}

describe('sendUpstream', () => {
  it('sends a request reset on a reused keep-alive socket once more, on a new connection', async () => {
    const upstream = await serve((n, req, res) => (n === 2 ? reset(req) : ok(res)));
    try {
      expect(await statusOf(upstream.url)).toBe(200);
      expect(await statusOf(upstream.url)).toBe(200);
      expect(upstream.requests()).toBe(3);
      expect(upstream.connections()).toBe(2);
    } finally {
      await upstream.close();
    }
  });

  it('gives up with a reset when the new connection is reset too', async () => {
    const upstream = await serve((n, req, res) => (n === 1 ? ok(res) : reset(req)));
    try {
      expect(await statusOf(upstream.url)).toBe(200);
      await expect(post(upstream.url)).rejects.toEqual(new TransportError('reset', 'ECONNRESET'));
      expect(upstream.requests()).toBe(3);
    } finally {
      await upstream.close();
    }
  });

  it('reuses an idle connection, and closes it before an upstream that closes after 5 s would', async () => {
    // Node's server, like uvicorn, closes a connection after 5 s idle.
    const upstream = await serve((_n, _req, res) => ok(res));
    try {
      expect(await statusOf(upstream.url)).toBe(200);
      expect(await statusOf(upstream.url)).toBe(200);
      expect(upstream.connections()).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 4_300));
      expect(await statusOf(upstream.url)).toBe(200);
      expect(upstream.connections()).toBe(2);
    } finally {
      await upstream.close();
    }
  }, 10_000);

  it('does not resend a request reset on a new connection', async () => {
    const upstream = await serve((_n, req) => reset(req));
    try {
      await expect(post(upstream.url)).rejects.toMatchObject({ kind: 'reset' });
      expect(upstream.requests()).toBe(1);
    } finally {
      await upstream.close();
    }
  });
});

describe('UpstreamEndpoint', () => {
  it('sends the host, the fixed headers, the call headers and the length, checked once', () => {
    const endpoint = new UpstreamEndpoint('http://[::1]:8000/v1/chat/completions?x=1', {
      'content-type': 'application/json',
    });
    expect(endpoint.options).toMatchObject({
      protocol: 'http:',
      hostname: '::1',
      port: '8000',
      path: '/v1/chat/completions?x=1',
    });
    expect(endpoint.headersOf({ 'x-request-id': 'r1' }, Buffer.from('{}'))).toEqual([
      'host',
      '[::1]:8000',
      'content-type',
      'application/json',
      'x-request-id',
      'r1',
      'content-length',
      '2',
    ]);
    expect(() => endpoint.headersOf({ 'x-request-id': 'a\r\nx-injected: 1' }, undefined)).toThrow();
  });

  it('turns credentials in the URL into Basic auth, unless the backend sends its own', () => {
    const basic = new UpstreamEndpoint('https://us%40r:p%3Ass@host.example/v1', {});
    expect(basic.options).toMatchObject({ protocol: 'https:', port: 443, path: '/v1' });
    expect(basic.headersOf(undefined, undefined)).toEqual([
      'host',
      'host.example',
      'authorization',
      `Basic ${Buffer.from('us@r:p:ss').toString('base64')}`,
    ]);
    const bearer = new UpstreamEndpoint('https://u:p@host.example/v1', {
      authorization: 'Bearer k',
    });
    expect(bearer.headersOf(undefined, undefined)).toEqual([
      'host',
      'host.example',
      'authorization',
      'Bearer k',
    ]);
  });
});
