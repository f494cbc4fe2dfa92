import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cancellation } from './cancellation';
import { readUpstreamBody, SseReader, UpstreamReadError, type ReadLimits } from './upstream-reader';

type Handler = (res: ServerResponse) => void;

/** Every server started by {@link upstream}: closed after each test, even one that failed. */
const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

/** A server answering every request with `handler`; reports when each answer's connection closed. */
async function upstream(handler: Handler): Promise<{
  fetch: () => Promise<IncomingMessage>;
  closed: () => Promise<void>;
  close: () => Promise<void>;
}> {
  let onClosed: () => void = () => undefined;
  let closedPromise = new Promise<void>((resolve) => (onClosed = resolve));
  const server = createServer((req, res) => {
    req.resume();
    res.once('close', () => onClosed());
    handler(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  servers.push(close);
  return {
    fetch: () => {
      closedPromise = new Promise<void>((resolve) => (onClosed = resolve));
      return new Promise((resolve) => get({ port, host: '127.0.0.1', agent: false }, resolve));
    },
    closed: () => closedPromise,
    close,
  };
}

const limits = (over: Partial<ReadLimits> = {}): ReadLimits => ({
  maxBytes: 1 << 20,
  idleMs: 5_000,
  deadline: Date.now() + 5_000,
  maxEventChars: 4096,
  maxDurationMs: 5_000,
  ...over,
});

const failure = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof UpstreamReadError ? err.kind : String(err)),
  );

/** Writes `piece` every `ms` until the reader goes away. */
function drip(res: ServerResponse, piece: string, ms: number): void {
  const timer = setInterval(() => res.write(piece), ms);
  res.once('close', () => clearInterval(timer));
}

describe('readUpstreamBody', () => {
  const never = new Cancellation();

  it('reads a whole body', async () => {
    const up = await upstream((res) => res.end('{"ok":true}'));
    const body = await readUpstreamBody(await up.fetch(), limits(), never);
    expect(body.toString()).toBe('{"ok":true}');
    await up.close();
  });

  it('stops at the byte cap and closes the upstream connection', async () => {
    const up = await upstream((res) => drip(res, 'x'.repeat(16 * 1024), 1));
    expect(
      await failure(readUpstreamBody(await up.fetch(), limits({ maxBytes: 64 * 1024 }), never)),
    ).toBe('body_too_large');
    await up.closed();
    await up.close();
  });

  it('stops a body that goes quiet, and one that drips past its deadline', async () => {
    const quiet = await upstream((res) => res.write('{'));
    expect(
      await failure(readUpstreamBody(await quiet.fetch(), limits({ idleMs: 100 }), never)),
    ).toBe('idle_timeout');
    await quiet.close();
    // A byte every 10 ms, never idle for 2 s even on a loaded machine, past a 300 ms deadline.
    const dripping = await upstream((res) => drip(res, ' ', 10));
    const deadline = Date.now() + 300;
    expect(
      await failure(
        readUpstreamBody(await dripping.fetch(), limits({ idleMs: 2_000, deadline }), never),
      ),
    ).toBe('deadline_exceeded');
    await dripping.closed();
    await dripping.close();
  });

  it('refuses a compressed body without reading it', async () => {
    const up = await upstream((res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end('...');
    });
    expect(await failure(readUpstreamBody(await up.fetch(), limits(), never))).toBe(
      'unsupported_encoding',
    );
    await up.close();
  });

  it('cancels at once when the client goes away, closing the upstream connection', async () => {
    const up = await upstream((res) => res.write('{'));
    const abort = new Cancellation();
    const reading = failure(readUpstreamBody(await up.fetch(), limits(), abort));
    abort.cancel();
    expect(await reading).toBe('aborted');
    await up.closed();
    await up.close();
  });
});

describe('SseReader', () => {
  const sse = (res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
  };

  it('hands the first event to the router, then every event in order to the attached sink', async () => {
    const up = await upstream((res) => {
      sse(res);
      res.write(': OPENROUTER PROCESSING\n\ndata: {"n":1}\n\ndata: {"n":2}\n');
      setTimeout(() => res.end('\ndata: [DONE]\n\n'), 20);
    });
    const sut = new SseReader(await up.fetch(), limits(), new Cancellation());
    expect(await sut.firstEvent()).toBe('{"n":1}');
    const seen: string[] = [];
    const ended = new Promise<UpstreamReadError | undefined>((resolve) =>
      sut.attach({ event: (d) => seen.push(d), flush: () => undefined, end: resolve }),
    );
    expect(await ended).toBeUndefined();
    expect(seen).toEqual(['{"n":1}', '{"n":2}', '[DONE]']);
    await up.close();
  });

  it('fails the first event at the deadline while bytes drip without a line end (no idle re-arm)', async () => {
    const up = await upstream((res) => {
      sse(res);
      drip(res, 'x'.repeat(64), 1);
    });
    const sut = new SseReader(
      await up.fetch(),
      limits({ idleMs: 10_000, deadline: Date.now() + 300, maxEventChars: 1 << 20 }),
      new Cancellation(),
    );
    expect(await failure(sut.firstEvent())).toBe('first_event_timeout');
    await up.closed();
    await up.close();
  });

  it('fails the first event of a stream stalled after its headers', async () => {
    const up = await upstream(sse);
    const sut = new SseReader(
      await up.fetch(),
      limits({ deadline: Date.now() + 200 }),
      new Cancellation(),
    );
    expect(await failure(sut.firstEvent())).toBe('first_event_timeout');
    await up.closed();
    await up.close();
  });

  it('cuts a line that never ends at the event cap, after the first event', async () => {
    const up = await upstream((res) => {
      sse(res);
      res.write('data: {"n":1}\n\n');
      drip(res, 'x'.repeat(1024), 1);
    });
    const sut = new SseReader(await up.fetch(), limits(), new Cancellation());
    await sut.firstEvent();
    const ended = new Promise<UpstreamReadError | undefined>((resolve) =>
      sut.attach({ event: () => undefined, flush: () => undefined, end: resolve }),
    );
    expect((await ended)?.kind).toBe('event_too_large');
    await up.closed();
    await up.close();
  });

  it('does not time out a paused (backpressured) stream for idleness', async () => {
    let upstreamRes: ServerResponse | undefined;
    const up = await upstream((res) => {
      sse(res);
      res.write('data: {"n":1}\n\n');
      upstreamRes = res;
    });
    const sut = new SseReader(await up.fetch(), limits({ idleMs: 200 }), new Cancellation());
    await sut.firstEvent();
    sut.pause();
    await new Promise((resolve) => setTimeout(resolve, 500)); // Paused past the idle limit.
    expect(sut.finished).toBe(false);
    const ended = new Promise<UpstreamReadError | undefined>((resolve) =>
      sut.attach({ event: () => undefined, flush: () => undefined, end: resolve }),
    );
    // Resumed, the clock starts again: [DONE] within the idle limit ends the stream cleanly.
    upstreamRes!.end('data: [DONE]\n\n');
    expect(await ended).toBeUndefined();
    await up.close();
  });

  it('ends with empty_stream when the upstream ends before any event', async () => {
    const up = await upstream((res) => {
      sse(res);
      res.end(': nothing\n\n');
    });
    const sut = new SseReader(await up.fetch(), limits(), new Cancellation());
    expect(await failure(sut.firstEvent())).toBe('empty_stream');
    await up.close();
  });
});
