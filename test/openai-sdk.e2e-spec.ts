import OpenAI from 'openai';
import type { FakeBackends } from './support/backends';
import { startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { CLIENT_KEY, type RunningGateway } from './support/gateway';

describe('the official openai SDK against the gateway (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  let client: OpenAI;

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes());
    client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));

  it('lists the catalog with models.list()', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      ids.push(model.id);
    }
    expect(ids).toHaveLength(13);
    expect(ids).toContain('image-gen');
  });

  it('creates a completion, floored for a reasoning model', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'gpt-5.5-pro',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'Why is the sky blue?' }],
      })
      .withResponse();
    expect(response.headers.get('x-rust-api-applied')).toBe('max_tokens_floored=200');
    expect(data.model).toBe('gpt-5.5-pro');
    expect(data.choices[0].message.content).toBeTruthy();
    expect(fakes.openrouter.chatRequests().at(-1)?.body).toMatchObject({
      model: 'openai/gpt-5.5-pro',
      max_tokens: 200,
    });
  });

  it('streams with include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'llama-4-scout',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Reply with 12 words.' }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage = chunk.usage ?? usage;
      expect(chunk.model).toBe('llama-4-scout');
    }
    expect(text.trim().split(/\s+/)).toHaveLength(12);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(fakes.vllm.chatRequests().at(-1)?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('surfaces gateway errors as a typed APIError with code and param', async () => {
    const before = fakes.all().reduce((n, s) => n + s.chatRequests().length, 0);
    const error = await client.chat.completions
      .create({
        model: 'qwen3-vl-30b-instruct',
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } }],
          },
        ],
      })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('image_url_not_supported');
    expect(apiError.param).toBe('messages[0].content[0].image_url.url');
    expect(fakes.all().reduce((n, s) => n + s.chatRequests().length, 0)).toBe(before);

    const missing = await client.chat.completions
      .create({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('streams without include_usage and sees no usage chunk, though the gateway asked the upstream for one', async () => {
    const stream = await client.chat.completions.create({
      model: 'llama-4-scout',
      stream: true,
      messages: [{ role: 'user', content: 'Reply with 5 words.' }],
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
    }
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((c) => c.choices.length > 0 && c.usage === undefined)).toBe(true);
    expect(fakes.vllm.chatRequests().at(-1)?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('raises RateLimitError, with Retry-After, when every hop of the chain is rate-limited', async () => {
    // grok-4.20 has one hop: OpenRouter, which answers 429 for it.
    fakes.openrouter.setFault({ kind: 'status', status: 429, retryAfter: 30, times: 1 });
    const error = await client.chat.completions
      .create({ model: 'grok-4.20', messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const limited = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited.code).toBe('rate_limit_exceeded');
    expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThanOrEqual(29);
    // Benched for its Retry-After: the next call is refused without reaching OpenRouter.
    const calls = fakes.openrouter.chatRequests().length;
    await expect(
      client.chat.completions.create({
        model: 'grok-4.20',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    expect(fakes.openrouter.chatRequests()).toHaveLength(calls);
  });
});
