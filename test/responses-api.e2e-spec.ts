import OpenAI from 'openai';
import { TINY_PNG_DATA_URI } from '@app/contracts';
import type { FakeBackends } from './support/backends';
import { restoreHealth, startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { CLIENT_KEY, type RunningGateway } from './support/gateway';

type ResponseStreamEvent = OpenAI.Responses.ResponseStreamEvent;

describe('POST /v1/responses with the official openai SDK (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  let client: OpenAI;
  const upstreamCalls = (): number => fakes.all().reduce((n, s) => n + s.chatRequests().length, 0);

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes());
    client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));
  beforeEach(() => restoreHealth({ fakes, gw }));

  it('answers a string input as a Response, translated to the chat request the backend got', async () => {
    const { data, response } = await client.responses
      .create({
        model: 'llama-4-scout',
        instructions: 'Be brief.',
        input: 'Why is the sky blue?',
        temperature: 0.2,
        metadata: { team: 'search' },
      })
      .withResponse();
    expect(response.headers.get('x-gateway-backend')).toBe('vllm');
    expect(data.object).toBe('response');
    expect(data.id).toMatch(/^resp_/);
    expect(data.status).toBe('completed');
    expect(data.model).toBe('llama-4-scout');
    expect(data.metadata).toEqual({ team: 'search' });
    expect(data.output_text).toBe('You said: Why is the sky blue?');
    expect(data.output[0]).toMatchObject({
      type: 'message',
      role: 'assistant',
      status: 'completed',
    });
    expect(data.usage?.input_tokens).toBeGreaterThan(0);
    expect(data.usage?.total_tokens).toBe(
      (data.usage?.input_tokens ?? 0) + (data.usage?.output_tokens ?? 0),
    );
    const sent = fakes.vllm.chatRequests().at(-1)?.body as Record<string, unknown>;
    expect(sent).toEqual({
      model: 'RedHatAI/Llama-4-Scout-17B-16E-Instruct-quantized.w4a16',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Why is the sky blue?' },
      ],
      temperature: 0.2,
    });
  });

  it('floors max_output_tokens for a reasoning model and says so in x-rust-api-applied', async () => {
    const { data, response } = await client.responses
      .create({ model: 'gpt-5.5-pro', input: 'Hi', max_output_tokens: 50 })
      .withResponse();
    expect(response.headers.get('x-rust-api-applied')).toBe('max_tokens_floored=200');
    expect(data.max_output_tokens).toBe(50);
    expect(data.output_text).toContain('You said: Hi');
    expect(data.usage?.output_tokens_details.reasoning_tokens).toBe(120);
    expect(fakes.openrouter.chatRequests().at(-1)?.body).toMatchObject({
      model: 'openai/gpt-5.5-pro',
      max_tokens: 200,
    });
  });

  it("returns a reasoning model's thinking as a reasoning item, JSON and streamed", async () => {
    const data = await client.responses.create({
      model: 'qwen3-vl-30b-thinking',
      input: 'Why is the sky blue?',
      max_output_tokens: 1000,
    });
    // Ollama Cloud answers with the thinking in `message.reasoning`.
    expect(fakes.ollama.chatRequests().at(-1)?.body).toMatchObject({
      model: 'qwen3-vl:30b-a3b-thinking',
      max_tokens: 1000,
    });
    expect(data.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(data.output[0]).toMatchObject({
      type: 'reasoning',
      content: [{ type: 'reasoning_text', text: expect.stringContaining('Why is the sky blue') }],
    });
    expect(data.output_text).toBe('You said: Why is the sky blue?');

    // The conversation replayed as returned: the reasoning item is accepted and not sent on.
    await client.responses.create({
      model: 'qwen3-vl-30b-thinking',
      input: [...data.output, { role: 'user', content: 'And at sunset?' }] as never,
      max_output_tokens: 1000,
    });
    expect(fakes.ollama.chatRequests().at(-1)?.body).toMatchObject({
      messages: [
        { role: 'assistant', content: 'You said: Why is the sky blue?' },
        { role: 'user', content: 'And at sunset?' },
      ],
    });

    const stream = client.responses.stream({
      model: 'qwen3-vl-30b-thinking',
      input: 'Why is the sky blue?',
      max_output_tokens: 1000,
    });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
    }
    const final = await stream.finalResponse();
    expect(types).toContain('response.reasoning_text.delta');
    expect(types.indexOf('response.reasoning_text.delta')).toBeLessThan(
      types.indexOf('response.output_text.delta'),
    );
    expect(final.output[0]).toMatchObject({ type: 'reasoning' });
    expect(final.output_text).toBe('You said: Why is the sky blue?');
  });

  it('reports an exhausted budget as incomplete (max_output_tokens)', async () => {
    const data = await client.responses.create({
      model: 'llama-4-scout',
      input: 'Reply with 40 words.',
      max_output_tokens: 5,
    });
    expect(data.status).toBe('incomplete');
    expect(data.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(data.output_text.split(' ')).toHaveLength(5);
  });

  it('streams the typed events in the order the SDK parses, ending with response.completed', async () => {
    const stream = await client.responses.create({
      model: 'llama-4-scout',
      input: 'Reply with 6 words.',
      stream: true,
    });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) {
      events.push(event);
    }
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_e, i) => i));
    const text = events
      .filter(
        (e): e is OpenAI.Responses.ResponseTextDeltaEvent =>
          e.type === 'response.output_text.delta',
      )
      .map((e) => e.delta)
      .join('');
    expect(text.split(' ')).toHaveLength(6);
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.usage?.output_tokens).toBe(6);
    expect(completed.response.output[0]).toMatchObject({
      type: 'message',
      status: 'completed',
      content: [{ type: 'output_text', text }],
    });
    // The gateway asked the upstream for usage; the client's stream has it in response.completed.
    expect(fakes.vllm.chatRequests().at(-1)?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('serves the responses.stream() helper and its finalResponse()', async () => {
    const stream = client.responses.stream({
      model: 'mistral-small-4',
      input: 'Reply with 3 words.',
    });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe(deltas.join(''));
    expect(final.output_text.split(' ')).toHaveLength(3);
  });

  it('takes a base64 input_image and forwards it as an image_url part', async () => {
    const data = await client.responses.create({
      model: 'qwen3-vl-30b-instruct',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is in this image?' },
            { type: 'input_image', image_url: TINY_PNG_DATA_URI, detail: 'auto' },
          ],
        },
      ],
    });
    expect(data.output_text).toContain('1×1 pixels');
    expect(fakes.ollama.chatRequests().at(-1)?.body).toMatchObject({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: TINY_PNG_DATA_URI, detail: 'auto' } },
          ],
        },
      ],
    });
  });

  it('answers an image-output alias with an image_generation_call item', async () => {
    const data = await client.responses.create({ model: 'nano-banana', input: 'a red fox' });
    const image = data.output.find((item) => item.type === 'image_generation_call');
    expect(image?.result).toMatch(/^iVBORw0KGgo/); // PNG bytes, base64
    expect(fakes.openrouter.chatRequests().at(-1)?.body).toMatchObject({
      modalities: ['image', 'text'],
    });
  });

  it('fails over along the chain like chat does', async () => {
    fakes.vllm.setFault({ kind: 'status', status: 503, times: 1 });
    const { response } = await client.responses
      .create({ model: 'llama-4-scout', input: 'hi' })
      .withResponse();
    expect(response.headers.get('x-gateway-backend')).toBe('ollama-cloud');
    expect(response.headers.get('x-gateway-fallbacks')).toBe('vllm');
  });

  it('keeps a local-only request on the DGX, as chat does', async () => {
    const local = new OpenAI({
      apiKey: CLIENT_KEY,
      baseURL: `${gw.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-gateway-data-policy': 'local-only' },
    });
    const error = await local.responses
      .create({ model: 'gpt-5.5-pro', input: 'hi' })
      .catch((err: unknown) => err);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_local');
    const { response } = await local.responses
      .create({ model: 'llama-4-scout', input: 'hi' })
      .withResponse();
    expect(response.headers.get('x-gateway-backend')).toBe('vllm');
    expect(response.headers.get('x-gateway-data-policy')).toBe('local-only');
  });

  it('ends a stream cut mid-way with response.failed, never response.completed', async () => {
    fakes.vllm.setFault({ kind: 'cut', afterChunks: 3, times: 1 });
    const stream = await client.responses.create({
      model: 'llama-4-scout',
      input: 'Reply with 30 words.',
      stream: true,
    });
    const types: string[] = [];
    let failed: OpenAI.Responses.ResponseFailedEvent | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.failed') {
        failed = event;
      }
    }
    expect(types).not.toContain('response.completed');
    expect(types.at(-1)).toBe('response.failed');
    expect(failed?.response.status).toBe('failed');
    expect(failed?.response.error?.code).toBe('upstream_stream_interrupted');
  });

  it('closes the upstream call at once when the client leaves mid-stream', async () => {
    fakes.vllm.setFault({ kind: 'stall', times: 1 });
    const elsewhere = fakes.ollama.chatRequests().length;
    const abort = new AbortController();
    const pending = fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-4-scout', input: 'hi', stream: true }),
      signal: abort.signal,
    });
    while (fakes.vllm.openChats() === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    abort.abort();
    await expect(pending).rejects.toThrow();
    const until = Date.now() + 500;
    while (fakes.vllm.openChats() > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(fakes.vllm.openChats()).toBe(0);
    expect(fakes.ollama.chatRequests()).toHaveLength(elsewhere); // no failover for a client who left
  });

  it('streams an image-output alias: the image as an image_generation_call item', async () => {
    const stream = client.responses.stream({ model: 'nano-banana', input: 'a red fox' });
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output.map((item) => item.type)).toEqual(['message', 'image_generation_call']);
    const image = final.output[1] as OpenAI.Responses.ResponseOutputItem.ImageGenerationCall;
    expect(image.result).toMatch(/^iVBORw0KGgo/);
  });

  it('the upstream error event mid-stream (OpenRouter style) also ends in response.failed', async () => {
    fakes.openrouter.setFault({ kind: 'cut', afterChunks: 2, times: 1 });
    const stream = await client.responses.create({
      model: 'grok-4.20',
      input: 'Reply with 20 words.',
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
    }
    expect(types.at(-1)).toBe('response.failed');
    expect(types).not.toContain('response.completed');
  });

  describe('refuses, naming the field, what it cannot do', () => {
    const refusals: Array<[string, Record<string, unknown>, string, string]> = [
      [
        'previous_response_id',
        { previous_response_id: 'resp_1' },
        'previous_response_id',
        'unsupported_parameter',
      ],
      ['store: true', { store: true }, 'store', 'unsupported_parameter'],
      ['background', { background: true }, 'background', 'unsupported_parameter'],
      [
        'stream obfuscation',
        { stream: true, stream_options: { include_obfuscation: true } },
        'stream_options.include_obfuscation',
        'unsupported_parameter',
      ],
      ['conversation', { conversation: 'conv_1' }, 'conversation', 'unsupported_parameter'],
      [
        'a built-in tool',
        { tools: [{ type: 'web_search' }] },
        'tools[0].type',
        'unsupported_parameter',
      ],
      ['include', { include: ['file_search_call.results'] }, 'include[0]', 'unsupported_parameter'],
      ['truncation auto', { truncation: 'auto' }, 'truncation', 'unsupported_parameter'],
      ['an unknown field', { top_k: 3 }, 'top_k', 'unsupported_parameter'],
      [
        'a routing field in metadata',
        { metadata: { api_base: 'http://x' } },
        'metadata.api_base',
        'unsupported_parameter',
      ],
      ['stream not boolean', { stream: 'true' }, 'stream', 'invalid_value'],
      ['temperature out of range', { temperature: 3 }, 'temperature', 'invalid_value'],
    ];
    it.each(refusals)('%s', async (_name, extra, param, code) => {
      const before = upstreamCalls();
      const res = await fetch(`${gw.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama-4-scout', input: 'hi', ...extra }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as {
        error: { param: string; code: string; message: string };
      };
      expect(body.error).toMatchObject({ param, code });
      expect(upstreamCalls()).toBe(before);
    });

    it('an https input_image: image_url_not_supported at the Responses path', async () => {
      const before = upstreamCalls();
      const error = await client.responses
        .create({
          model: 'qwen3-vl-30b-instruct',
          input: [
            {
              role: 'user',
              content: [
                { type: 'input_text', text: 'look' },
                { type: 'input_image', image_url: 'https://example.com/cat.jpg', detail: 'auto' },
              ],
            },
          ],
        })
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('image_url_not_supported');
      expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe(
        'input[0].content[1].image_url',
      );
      expect(upstreamCalls()).toBe(before);
    });

    it('a content part of an unknown type, named by its exact path', async () => {
      const error = await client.responses
        .create({
          model: 'llama-4-scout',
          instructions: 'x',
          input: [
            { role: 'user', content: 'first' },
            {
              role: 'user',
              content: [{ type: 'input_audio' as 'input_text', text: '' }],
            },
          ],
        })
        .catch((err: unknown) => err);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
      expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe(
        'input[1].content[0].type',
      );
    });
  });
});
