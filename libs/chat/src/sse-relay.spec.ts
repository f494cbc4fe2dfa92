import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Cancellation, SseReader } from '@app/routing';
import { relaySse, type RelayOptions, type RelayOutcome } from './sse-relay';

/** An upstream response that delivers `pieces` as its body chunks, each in one `data` event. */
class FakeUpstream extends EventEmitter {
  headers = {};
  pauses = 0;
  pause(): void {
    this.pauses++;
  }
  resume(): void {}
  destroy(): void {}
}

/** The client's response: records every write and whether headers were flushed on their own. */
class FakeResponse extends EventEmitter {
  destroyed = false;
  writableFinished = false;
  headersSent = false;
  writes: string[] = [];
  headerFlushes = 0;
  body = '';
  write(text: string): boolean {
    this.headersSent = true;
    this.writes.push(text);
    this.body += text;
    return true;
  }
  end(text?: string): void {
    if (text) {
      this.write(text);
    }
    this.writableFinished = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  flushHeaders(): void {
    this.headersSent = true;
    this.headerFlushes++;
  }
}

const limits = {
  maxBytes: 1 << 20,
  idleMs: 5_000,
  deadline: Date.now() + 60_000,
  maxEventChars: 1 << 16,
  maxDurationMs: 60_000,
};

/** Relays `pieces` (each one upstream chunk, all arriving together) and returns what the client got. */
async function relay(
  pieces: string[],
  options: Partial<RelayOptions> = {},
): Promise<{ res: FakeResponse; outcome: RelayOutcome }> {
  const up = new FakeUpstream();
  const events = new SseReader(up as unknown as IncomingMessage, limits, new Cancellation());
  for (const piece of pieces) {
    up.emit('data', Buffer.from(piece));
  }
  up.emit('end');
  await events.firstEvent();
  const res = new FakeResponse();
  const outcome = await new Promise<RelayOutcome>((resolve) =>
    relaySse(events, res as unknown as ServerResponse, {
      alias: 'my-alias',
      stallTimeoutMs: 5_000,
      usageAdded: false,
      ...options,
      onEnd: resolve,
    }),
  );
  return { res, outcome };
}

const chunk = (fields: string): string =>
  `data: {"id":"c","object":"chat.completion.chunk",${fields}}\n\n`;
const dataOf = (body: string): string[] =>
  body
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice(6));

describe('relaySse (chat pass-through)', () => {
  it('writes what arrived together in one write, the headers with it', async () => {
    const { res, outcome } = await relay([
      chunk(
        '"model":"up/model","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]',
      ),
      chunk('"model":"up/model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]'),
      'data: [DONE]\n\n',
    ]);
    expect(res.writes).toHaveLength(1);
    expect(res.headerFlushes).toBe(0);
    expect(outcome).toMatchObject({ completed: true, finishReason: 'stop' });
    expect(dataOf(res.body)).toEqual([
      '{"id":"c","object":"chat.completion.chunk","model":"my-alias","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}',
      '{"id":"c","object":"chat.completion.chunk","model":"my-alias","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
      '[DONE]',
    ]);
  });

  it('renames only the top-level model, whatever its value holds, and leaves content alone', async () => {
    const content = String.raw`say \"model\":\"x\" and \\`;
    const { res } = await relay([
      chunk(String.raw`"model":"a\"b\\","choices":[{"index":0,"delta":{"content":"${content}"}}]`),
      'data: [DONE]\n\n',
    ]);
    const first = JSON.parse(dataOf(res.body)[0]) as Record<string, unknown>;
    expect(first.model).toBe('my-alias');
    expect(first.choices).toEqual([{ index: 0, delta: { content: 'say "model":"x" and \\' } }]);
  });

  it('reads fields written with spaces after the colon', async () => {
    const { res, outcome } = await relay([
      'data: {"model": "up/model", "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}\n\n',
      'data: {"model": "up/model", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}}\n\n',
      'data: [DONE]\n\n',
    ]);
    expect(outcome).toMatchObject({ finishReason: 'length', usage: { input: 3, output: 4 } });
    expect(JSON.parse(dataOf(res.body)[0])).toMatchObject({ model: 'my-alias' });
  });

  it('drops the usage the gateway asked for, and keeps it when the client asked', async () => {
    const pieces = [
      chunk('"model":"m","choices":[{"index":0,"delta":{"content":"a"}}],"usage":null'),
      chunk('"usage":null,"model":"m","choices":[{"index":0,"delta":{}}]'),
      chunk('"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":20}'),
      'data: [DONE]\n\n',
    ];
    const added = await relay(pieces, { usageAdded: true });
    expect(added.outcome.usage).toEqual({ input: 5, output: 20 });
    expect(dataOf(added.res.body)).toEqual([
      '{"id":"c","object":"chat.completion.chunk","model":"my-alias","choices":[{"index":0,"delta":{"content":"a"}}]}',
      '{"id":"c","object":"chat.completion.chunk","model":"my-alias","choices":[{"index":0,"delta":{}}]}',
      '[DONE]',
    ]);
    const asked = await relay(pieces, { usageAdded: false });
    expect(asked.outcome.usage).toEqual({ input: 5, output: 20 });
    expect(dataOf(asked.res.body)).toHaveLength(4);
    expect(dataOf(asked.res.body)[0]).toContain('"usage":null');
  });

  it('ends with an error event, never [DONE], when the upstream reports an error mid-stream', async () => {
    const { res, outcome } = await relay([
      chunk('"model":"m","choices":[{"index":0,"delta":{"content":"a"}}]'),
      'data: {"error":{"message":"boom","code":500}}\n\n',
      'data: [DONE]\n\n',
    ]);
    expect(outcome).toMatchObject({
      completed: false,
      failure: { code: 'upstream_error', blame: 'upstream' },
    });
    const events = dataOf(res.body);
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[1])).toMatchObject({ error: { code: 'upstream_error' } });
  });

  it('does not mistake a quoted "error" in content for an error event', async () => {
    const { outcome } = await relay([
      chunk(String.raw`"model":"m","choices":[{"index":0,"delta":{"content":"\"error\": none"}}]`),
      'data: [DONE]\n\n',
    ]);
    expect(outcome.completed).toBe(true);
  });

  it('sends the headers at once when the first events write nothing', async () => {
    const up = new FakeUpstream();
    const events = new SseReader(up as unknown as IncomingMessage, limits, new Cancellation());
    // Only the gateway's own usage chunk so far (dropped), and the stream goes on.
    up.emit('data', Buffer.from(chunk('"choices":[],"usage":{"prompt_tokens":1}')));
    await events.firstEvent();
    const res = new FakeResponse();
    relaySse(events, res as unknown as ServerResponse, {
      alias: 'a',
      stallTimeoutMs: 5_000,
      usageAdded: true,
    });
    expect(res.writes).toEqual([]);
    expect(res.headerFlushes).toBe(1);
    events.cancel();
  });
});

describe('SseReader before the relay attaches', () => {
  it('holds a burst without pausing the upstream, and pauses past its bound', async () => {
    const up = new FakeUpstream();
    const events = new SseReader(up as unknown as IncomingMessage, limits, new Cancellation());
    const event = chunk(`"choices":[{"delta":{"content":"${'x'.repeat(1000)}"}}]`);
    for (let i = 0; i < 20; i++) {
      up.emit('data', Buffer.from(event));
    }
    await events.firstEvent();
    expect(up.pauses).toBe(0);
    for (let i = 0; i < 60; i++) {
      up.emit('data', Buffer.from(event));
    }
    expect(up.pauses).toBeGreaterThan(0);
    events.cancel();
  });
});
