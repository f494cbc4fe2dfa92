import fc from 'fast-check';
import { ResponseStream } from 'openai/lib/responses/ResponseStream';
import { compileRequestValidator } from '@app/contracts';
import type { ResponseEcho } from './responses.types';
import { emptyResponse, messageItem, outputText, ResponseIds } from './chat-to-response';
import { RESPONSE_STREAM_EVENT_SCHEMA } from './response.schema';
import { ResponseJson, ResponsesStreamTranslator } from './responses-stream';

/** The published `ResponseStreamEvent` schema; throws naming the field an event breaks. */
const asPublished = compileRequestValidator(RESPONSE_STREAM_EVENT_SCHEMA);

const ECHO: ResponseEcho = {
  instructions: null,
  max_output_tokens: null,
  metadata: {},
  parallel_tool_calls: true,
  temperature: null,
  top_p: null,
  tool_choice: 'auto',
  tools: [],
  text: { format: { type: 'text' } },
  reasoning: { effort: null, summary: null },
};

const chunk = (
  delta: Record<string, unknown>,
  finish: string | null = null,
): Record<string, unknown> => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const usage = {
  choices: [],
  usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
};

interface Event {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

/**
 * The SSE text as events; checks on the way the framing (`event:` names the `data:` type) and that
 * each event is what the OpenAPI document says (`ResponseStreamEvent`).
 */
function parse(sse: string): Event[] {
  return sse
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      const event = JSON.parse(dataLine.slice('data: '.length)) as Event;
      expect(eventLine).toBe(`event: ${event.type}`);
      expect(asPublished(event)).toBe(event);
      return event;
    });
}

/** Feeds the events to the openai SDK's own accumulator, which throws on any out-of-order or malformed event. */
async function sdkFinal(events: Event[]): Promise<Record<string, unknown>> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(
        new TextEncoder().encode(events.map((e) => JSON.stringify(e)).join('\n') + '\n'),
      );
      controller.close();
    },
  });
  const stream = ResponseStream.fromReadableStream(body);
  return (await stream.finalResponse()) as unknown as Record<string, unknown>;
}

describe('ResponsesStreamTranslator', () => {
  it('is checked against a published schema that refuses what the stream must not send', () => {
    const delta = { type: 'response.output_text.delta', sequence_number: 4, item_id: 'msg_1' };
    expect(() => asPublished(delta)).toThrow(/output_index/);
    expect(() => asPublished({ type: 'response.bogus', sequence_number: 0 })).toThrow(/type/);
  });

  it('turns text chunks into the message events, then response.completed with usage', async () => {
    const sut = new ResponsesStreamTranslator('llama-4-scout', ECHO, 1767225600);
    const sse =
      sut.chunk(chunk({ role: 'assistant', content: '' })) +
      sut.chunk(chunk({ content: 'Hello' })) +
      sut.chunk(chunk({ content: ' there' })) +
      sut.chunk(chunk({}, 'stop')) +
      sut.chunk(usage) +
      sut.done();
    const events = parse(sse);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_e, i) => i));
    const completed = events.at(-1)?.response as Record<string, unknown>;
    expect(completed).toMatchObject({
      status: 'completed',
      model: 'llama-4-scout',
      usage: { input_tokens: 7, output_tokens: 3, total_tokens: 10 },
      output: [{ type: 'message', status: 'completed', content: [{ text: 'Hello there' }] }],
    });
    const final = await sdkFinal(events);
    expect(final.output_text).toBe('Hello there');
  });

  it("writes the message item's templated events byte for byte as its object helpers serialise", () => {
    const sut = new ResponsesStreamTranslator('llama-4-scout', ECHO, 1767225600);
    const text = 'Say "hi"\n\u2028 é 😀 \\';
    const sse = sut.chunk(chunk({ content: text })) + sut.chunk(chunk({}, 'stop')) + sut.done();
    const data = new Map(
      sse
        .split('\n\n')
        .filter((block) => block.length > 0)
        .map((block) => {
          const json = block.split('\n')[1].slice('data: '.length);
          return [(JSON.parse(json) as Event).type, json] as const;
        }),
    );
    const id = (JSON.parse(data.get('response.output_item.added')!) as { item: { id: string } })
      .item.id;
    const where = (type: string, seq: number): string =>
      `{"type":"${type}","sequence_number":${seq},"item_id":"${id}","output_index":0,"content_index":0`;
    expect(data.get('response.output_item.added')).toBe(
      JSON.stringify({
        type: 'response.output_item.added',
        sequence_number: 2,
        output_index: 0,
        item: messageItem(id, '', 'in_progress'),
      }),
    );
    expect(data.get('response.content_part.added')).toBe(
      `${where('response.content_part.added', 3)},"part":${JSON.stringify(outputText(''))}}`,
    );
    expect(data.get('response.output_text.done')).toBe(
      `${where('response.output_text.done', 5)},"text":${JSON.stringify(text)},"logprobs":[]}`,
    );
    expect(data.get('response.content_part.done')).toBe(
      `${where('response.content_part.done', 6)},"part":${JSON.stringify(outputText(text))}}`,
    );
    expect(data.get('response.output_item.done')).toBe(
      JSON.stringify({
        type: 'response.output_item.done',
        sequence_number: 7,
        output_index: 0,
        item: messageItem(id, text, 'completed'),
      }),
    );
  });

  it('streams the thinking (reasoning_content or reasoning) as a reasoning item before the text', async () => {
    const sut = new ResponsesStreamTranslator('qwen3-vl-30b-thinking', ECHO);
    const events = parse(
      sut.chunk(chunk({ role: 'assistant', content: '' })) +
        sut.chunk(chunk({ reasoning_content: 'Thinking about ' })) +
        sut.chunk(chunk({ reasoning: 'it.' })) +
        sut.chunk(chunk({ content: 'Answer.' })) +
        sut.chunk(chunk({}, 'stop')) +
        sut.done(),
    );
    expect(events.map((e) => e.type).slice(2, 9)).toEqual([
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
    ]);
    const final = await sdkFinal(events);
    expect(final.output).toMatchObject([
      { type: 'reasoning', content: [{ type: 'reasoning_text', text: 'Thinking about it.' }] },
      { type: 'message', content: [{ text: 'Answer.' }] },
    ]);
    expect(final.output_text).toBe('Answer.');
  });

  it('streams a tool call as function_call events the SDK accumulates', async () => {
    const sut = new ResponsesStreamTranslator('llama-4-scout', ECHO);
    const call = (fields: Record<string, unknown>): Record<string, unknown> =>
      chunk({ tool_calls: [{ index: 0, ...fields }] });
    const events = parse(
      sut.chunk(chunk({ role: 'assistant', content: 'Let me check.' })) +
        sut.chunk(
          call({
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '' },
          }),
        ) +
        sut.chunk(call({ function: { arguments: '{"city":' } })) +
        sut.chunk(call({ function: { arguments: '"Paris"}' } })) +
        sut.chunk(chunk({}, 'tool_calls')) +
        sut.done(),
    );
    expect(events.map((e) => e.type).slice(8)).toEqual([
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const final = await sdkFinal(events);
    expect(final.output).toEqual([
      expect.objectContaining({ type: 'message' }),
      expect.objectContaining({
        type: 'function_call',
        call_id: 'call_1',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
        status: 'completed',
      }),
    ]);
  });

  it('makes each generated image an image_generation_call item', async () => {
    const sut = new ResponsesStreamTranslator('nano-banana', ECHO);
    const events = parse(
      sut.chunk(chunk({ content: 'Here' })) +
        sut.chunk(
          chunk({
            images: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K' } }],
          }),
        ) +
        sut.done(),
    );
    const final = await sdkFinal(events);
    expect((final.output as unknown[])[1]).toEqual({
      type: 'image_generation_call',
      id: expect.stringMatching(/^ig_/) as unknown,
      status: 'completed',
      result: 'iVBORw0K',
      output_format: 'png',
    });
  });

  it('reports a spent budget with response.incomplete', () => {
    const sut = new ResponsesStreamTranslator('gpt-5.5-pro', ECHO);
    const events = parse(sut.chunk(chunk({ content: 'a' }, 'length')) + sut.done());
    expect(events.at(-1)).toMatchObject({
      type: 'response.incomplete',
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
    });
  });

  it('ends a cut stream with response.failed carrying the code and the partial output', async () => {
    const sut = new ResponsesStreamTranslator('llama-4-scout', ECHO);
    const events = parse(
      sut.chunk(chunk({ content: 'Half' })) +
        sut.fail('upstream_timeout', 'The upstream went quiet.'),
    );
    expect(events.map((e) => e.type)).not.toContain('response.completed');
    expect(events.at(-1)).toMatchObject({
      type: 'response.failed',
      response: {
        status: 'failed',
        error: { code: 'upstream_timeout', message: 'The upstream went quiet.' },
        output: [{ type: 'message', status: 'incomplete', content: [{ text: 'Half' }] }],
      },
    });
    const final = await sdkFinal(events);
    expect(final.status).toBe('failed');
  });

  it('announces the response even when the first thing that happens is a failure', () => {
    const events = parse(new ResponsesStreamTranslator('m', ECHO).fail('shutting_down', 'bye'));
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.failed',
    ]);
  });
});

describe('ResponsesStreamTranslator.plain (a chunk read without a parse)', () => {
  /** Ids differ per translator (a process-wide counter): compared without them. */
  const sameIds = (sse: string): string => sse.replace(/\b(resp|msg|fc|ig|rs)_[0-9a-f]+/g, '$1_X');
  /** What the relay does: the plain reading when the translator offers one, else a parse. */
  const viaPlain = (sut: ResponsesStreamTranslator, data: string): string =>
    sut.plain(data) ?? sut.chunk(JSON.parse(data) as Record<string, unknown>);

  const text = fc.oneof(
    fc.string(),
    fc.constantFrom('', '"content":"x"', '\\', '\\"', '"error": {', 'null', '"usage":{}', '}'),
  );
  const nullable = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: null, freq: 2 });
  const arbitraryChunk = fc.record(
    {
      id: fc.constant('chatcmpl-1'),
      // Mostly one model: runs of chunks of the same shape, as upstreams send them.
      model: fc.constantFrom('m', 'm', 'm', 'other'),
      usage: nullable(fc.constant({ prompt_tokens: 3, completion_tokens: 4 })),
      choices: fc.array(
        fc.record(
          {
            index: fc.constant(0),
            delta: fc.record(
              {
                role: fc.constant('assistant'),
                content: nullable(text),
                reasoning_content: nullable(text),
                tool_calls: nullable(
                  fc.constant([
                    { index: 0, id: 'call_1', function: { name: 'f', arguments: '{}' } },
                  ]),
                ),
              },
              { requiredKeys: [] },
            ),
            logprobs: nullable(fc.constant({ content: [{ token: 'a', logprob: -1 }] })),
            finish_reason: nullable(fc.constantFrom('stop', 'length', 'tool_calls')),
          },
          { requiredKeys: ['index', 'delta'] },
        ),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: ['id', 'choices'] },
  );

  it('writes exactly what a parse would, for any chunks, spaced or not', () => {
    fc.assert(
      fc.property(fc.array(arbitraryChunk, { maxLength: 6 }), fc.boolean(), (chunks, spaced) => {
        const parsed = new ResponsesStreamTranslator('alias', ECHO, 1);
        const plain = new ResponsesStreamTranslator('alias', ECHO, 1);
        let expected = '';
        let actual = '';
        for (const value of chunks) {
          const data = spaced ? JSON.stringify(value, null, 1) : JSON.stringify(value);
          expected += parsed.chunk(JSON.parse(data) as Record<string, unknown>);
          actual += viaPlain(plain, data);
        }
        expect(sameIds(actual + plain.done())).toBe(sameIds(expected + parsed.done()));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes exactly what a parse would for runs of one chunk shape, as upstreams send them', () => {
    const delta = fc.record(
      { content: text, reasoning_content: nullable(text) },
      { requiredKeys: ['content'] },
    );
    const run = fc.array(
      fc.record({ delta, finish_reason: nullable(fc.constantFrom('stop', 'length')) }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(run, (choices) => {
        const parsed = new ResponsesStreamTranslator('alias', ECHO, 1);
        const plain = new ResponsesStreamTranslator('alias', ECHO, 1);
        let expected = '';
        let actual = '';
        for (const choice of choices) {
          const data = JSON.stringify({ id: 'c', model: 'm', choices: [{ index: 0, ...choice }] });
          expected += parsed.chunk(JSON.parse(data) as Record<string, unknown>);
          actual += viaPlain(plain, data);
        }
        expect(sameIds(actual + plain.done())).toBe(sameIds(expected + parsed.done()));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a text chunk without a parse, and leaves every other chunk to one', () => {
    const sut = new ResponsesStreamTranslator('alias', ECHO, 1);
    const plainChunk = (fields: string): string | undefined =>
      sut.plain(`{"id":"c","choices":[{"index":0,"delta":${fields}}]}`);
    expect(plainChunk('{"content":"a \\"quoted\\" word"},"finish_reason":null')).toContain(
      '"delta":"a \\"quoted\\" word"',
    );
    expect(plainChunk('{"role":"assistant","content":""},"logprobs":null')).toBeDefined();
    expect(plainChunk('{"content":"a"},"finish_reason":"stop"')).toBeUndefined();
    expect(plainChunk('{"reasoning":"hm"}')).toBeUndefined();
    expect(plainChunk('{"content":"a"},"logprobs":{"content":[]}')).toBeUndefined();
    expect(sut.plain('{"error":{"message":"boom"},"content":"a"}')).toBeUndefined();
    expect(sut.plain('{"choices":[{"delta":{"content":"a"}}]')).toBeUndefined();
    // The same text before and after the content, but another field in between.
    expect(sut.plain('{"choices":[{"delta":{"content":"a"}}]}')).toBeDefined();
    expect(sut.plain('{"choices":[{"delta":{"content":"a","reasoning":"b"}}]}')).toBeUndefined();
    expect(sut.plain('{"choices":[{"delta":{"content":"a\\"b"}}]}')).toContain('"delta":"a\\"b"');
  });
});

describe('ResponseJson', () => {
  it('writes exactly what JSON.stringify writes for the same response, in every state', () => {
    const echo: ResponseEcho = {
      ...ECHO,
      instructions: 'Be "brief"',
      metadata: { team: 'a\\b' },
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: null }],
    };
    const ids = new ResponseIds();
    const base = emptyResponse(ids, 'my-alias', echo, 1767225600);
    const sut = new ResponseJson(ids, 'my-alias', echo, 1767225600);
    const item = {
      type: 'function_call',
      id: 'fc_1',
      call_id: 'c',
      name: 'f',
      arguments: '{}',
      status: 'completed',
    } as const;
    const usage = { input_tokens: 1, output_tokens: 2, total_tokens: 3 } as never;
    const cases = [
      { status: 'in_progress', output: [], usage: null, error: null, incomplete_details: null },
      { status: 'completed', output: [item, item], usage, error: null, incomplete_details: null },
      {
        status: 'incomplete',
        output: [item],
        usage,
        error: null,
        incomplete_details: { reason: 'max_output_tokens' },
      },
      {
        status: 'failed',
        output: [],
        usage: null,
        error: { code: 'x', message: 'm "q"' },
        incomplete_details: null,
      },
    ] as const;
    for (const { status, output, usage: used, error, incomplete_details } of cases) {
      expect(
        sut.of(
          status,
          output.map((o) => JSON.stringify(o)),
          used,
          { error, incomplete_details },
        ),
      ).toBe(JSON.stringify({ ...base, status, error, incomplete_details, output, usage: used }));
    }
  });
});
