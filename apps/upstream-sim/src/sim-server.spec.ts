import { request as httpRequest } from 'node:http';
import { PNG } from 'pngjs';
import { startSim } from './index';
import type { SimOptions, SimServer } from './index';

type Json = Record<string, any>;

const sims: SimServer[] = [];

async function sim(opts: Partial<SimOptions> = {}): Promise<SimServer> {
  const s = await startSim({ name: 'vllm', ...opts });
  sims.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

function chat(
  s: SimServer,
  body: Json,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
) {
  return fetch(`${s.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal,
  });
}

const ask = (content: unknown, extra: Json = {}): Json => ({
  model: 'llama-4-scout',
  messages: [{ role: 'user', content }],
  ...extra,
});

/** The `data:` payloads of an SSE body, in order. */
function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
}

/** Reads a streamed body until it ends or breaks; returns what arrived and how it ended. */
async function drain(res: Response): Promise<{ text: string; error: unknown }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        return { text, error: undefined };
      }
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

/** One request over a fresh connection, so no pooled keep-alive socket hides a refused connect. */
function rawGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function pngDataUri(width: number, height: number): { uri: string; bytes: number } {
  const png = new PNG({ width, height });
  png.data.fill(200);
  const buf = PNG.sync.write(png);
  return { uri: `data:image/png;base64,${buf.toString('base64')}`, bytes: buf.length };
}

describe('chat completions (JSON)', () => {
  it('answers with an OpenAI chat.completion for the requested model', async () => {
    const s = await sim({ name: 'ollama-cloud', flavor: 'ollama' });
    const res = await chat(s, ask('tell me about the spark'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'llama-4-scout',
      system_fingerprint: 'ollama-cloud',
      choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }],
    });
    expect(body.choices[0].message.content).toBe('You said: tell me about the spark');
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.usage.completion_tokens).toBe(7);
  });

  it('cuts at max_tokens with finish_reason length', async () => {
    const s = await sim();
    const body = (await (
      await chat(s, ask('write 40 words please', { max_tokens: 5 }))
    ).json()) as Json;
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.choices[0].message.content.split(' ')).toHaveLength(5);
    expect(body.usage.completion_tokens).toBe(5);
  });

  it('refuses a model it does not serve with 404 model_not_found', async () => {
    const s = await sim({ models: ['served'] });
    const res = await chat(s, ask('hi', { model: 'other' }));
    expect(res.status).toBe(404);
    expect(((await res.json()) as Json).error).toMatchObject({ code: 'model_not_found' });
    expect((await chat(s, ask('hi', { model: 'served' }))).status).toBe(200);
  });

  it('refuses stream_options without stream: true, as vLLM does (an empty one passes)', async () => {
    const s = await sim();
    for (const stream of [undefined, false]) {
      const res = await chat(s, ask('hi', { stream, stream_options: { include_usage: true } }));
      expect(res.status).toBe(400);
      expect(((await res.json()) as Json).error).toMatchObject({ param: 'stream_options' });
    }
    expect((await chat(s, ask('hi', { stream_options: {} }))).status).toBe(200);
  });

  it('refuses a prompt over the model context with 400 context_length_exceeded', async () => {
    const s = await sim({ contextWindows: { tiny: 10 } });
    const res = await chat(s, ask('x'.repeat(100), { model: 'tiny' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatchObject({
      code: 'context_length_exceeded',
      type: 'invalid_request_error',
    });
    expect((await chat(s, ask('x'.repeat(100)))).status).toBe(200);
  });
});

describe('reasoning emulation', () => {
  it('starves visible content when max_tokens is spent on thinking', async () => {
    const s = await sim({ name: 'openrouter', flavor: 'openrouter' });
    const body = (await (
      await chat(s, ask('why is the sky blue', { model: 'openai/gpt-5.5-pro', max_tokens: 50 }))
    ).json()) as Json;
    expect(body.choices[0].message.content).toBe('');
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.usage.completion_tokens).toBe(50);
    expect(body.usage.completion_tokens_details.reasoning_tokens).toBe(50);
  });

  it('shows visible content once the budget covers the thinking pass', async () => {
    const s = await sim();
    const body = (await (
      await chat(s, ask('why is the sky blue', { model: 'gemini-3.1-pro', max_tokens: 300 }))
    ).json()) as Json;
    expect(body.choices[0].message.content).toBe('You said: why is the sky blue');
    expect(body.choices[0].finish_reason).toBe('stop');
    expect(body.usage.completion_tokens_details.reasoning_tokens).toBe(120);
    expect(body.usage.completion_tokens).toBe(120 + 7);
    expect(body.choices[0].message.reasoning_content).toBe(
      'Thinking about "why is the sky blue" (120 tokens).',
    );
  });

  it('names the thinking as each API does: reasoning (cloud), reasoning_content (vLLM)', async () => {
    const cloud = await sim({ name: 'openrouter', flavor: 'openrouter' });
    const body = (await (
      await chat(cloud, ask('hi there', { model: 'openai/gpt-5.5-pro', max_tokens: 500 }))
    ).json()) as Json;
    expect(body.choices[0].message.reasoning).toBe('Thinking about "hi there" (120 tokens).');
    expect(body.choices[0].message.reasoning_content).toBeUndefined();
    const plain = (await (await chat(await sim(), ask('hi'))).json()) as Json;
    expect(plain.choices[0].message).not.toHaveProperty('reasoning_content');
  });

  it('streams the thinking as its own delta before the answer', async () => {
    const s = await sim({ reasoningTokens: 20 });
    const res = await chat(
      s,
      ask('hello', { model: 'qwen3-vl-30b-thinking', max_tokens: 100, stream: true }),
    );
    const chunks = sseData(await res.text())
      .slice(0, -1)
      .map((e) => JSON.parse(e) as Json);
    const thinking = chunks.findIndex((c) => c.choices[0].delta.reasoning_content !== undefined);
    const answer = chunks.findIndex((c) => (c.choices[0].delta.content ?? '') !== '');
    expect(chunks[thinking].choices[0].delta.reasoning_content).toBe(
      'Thinking about "hello" (20 tokens).',
    );
    expect(thinking).toBeGreaterThan(0);
    expect(answer).toBeGreaterThan(thinking);
  });

  it('starves a streamed answer too, ending with finish_reason length and no content', async () => {
    const s = await sim({ reasoningTokens: 80 });
    const res = await chat(
      s,
      ask('hello', { model: 'qwen3-vl-30b-thinking', max_tokens: 80, stream: true }),
    );
    const events = sseData(await res.text());
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Json);
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('');
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('length');
    expect(events.at(-1)).toBe('[DONE]');
  });
});

describe('streaming', () => {
  it('streams chunks, then a usage chunk with empty choices, then [DONE]', async () => {
    const s = await sim();
    const res = await chat(
      s,
      ask('one two three', { stream: true, stream_options: { include_usage: true } }),
    );
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = sseData(await res.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Json);
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
    const deltas = chunks.slice(0, -1);
    expect(
      deltas.every((c) => c.object === 'chat.completion.chunk' && c.model === 'llama-4-scout'),
    ).toBe(true);
    expect(deltas[0].choices[0].delta.role).toBe('assistant');
    expect(deltas.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(
      'You said: one two three',
    );
    expect(deltas.at(-1)!.choices[0].finish_reason).toBe('stop');
  });

  it('sends no usage chunk without include_usage', async () => {
    const s = await sim();
    const events = sseData(await (await chat(s, ask('hi', { stream: true }))).text());
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Json);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
  });

  it('delivers a long stream whole when the client reads slower than it is written', async () => {
    const s = await sim();
    const res = await chat(s, ask('give me 20000 words', { stream: true }));
    const events = sseData(await res.text());
    expect(events).toHaveLength(1 + 20000 + 1 + 1);
    expect(events.at(-1)).toBe('[DONE]');
  });

  it('prefixes an OpenRouter stream with its processing comment', async () => {
    const s = await sim({ name: 'openrouter', flavor: 'openrouter' });
    const text = await (await chat(s, ask('hi', { stream: true }))).text();
    expect(text.startsWith(': OPENROUTER PROCESSING\n\n')).toBe(true);
  });
});

describe('image output', () => {
  it('returns a real PNG drawn from the prompt as a data URI in message.images', async () => {
    const s = await sim({ name: 'openrouter', flavor: 'openrouter' });
    const res = await chat(s, ask('a red fox', { model: 'google/gemini-3.1-flash-image-preview' }));
    const body = (await res.json()) as Json;
    const image = body.choices[0].message.images[0];
    expect(image.type).toBe('image_url');
    expect(image.image_url.url.startsWith('data:image/png;base64,')).toBe(true);
    const png = PNG.sync.read(Buffer.from(image.image_url.url.split(',')[1], 'base64'));
    expect([png.width, png.height]).toEqual([256, 256]);
    expect(typeof body.choices[0].message.content).toBe('string');
    expect(body.usage.completion_tokens_details).toBeUndefined();
  });

  it('puts the image in a delta when streaming', async () => {
    const s = await sim();
    const events = sseData(
      await (await chat(s, ask('a fox', { model: 'gpt-image', stream: true }))).text(),
    );
    const withImage = events
      .slice(0, -1)
      .map((e) => JSON.parse(e) as Json)
      .filter((c) => c.choices[0]?.delta.images);
    expect(withImage).toHaveLength(1);
    const url = withImage[0].choices[0].delta.images[0].image_url.url as string;
    expect(PNG.sync.read(Buffer.from(url.split(',')[1], 'base64')).width).toBe(256);
  });
});

describe('vision input', () => {
  it('answers with facts decoded from a base64 PNG', async () => {
    const s = await sim();
    const { uri, bytes } = pngDataUri(64, 48);
    const res = await chat(
      s,
      ask([
        { type: 'text', text: 'What is in this image?' },
        { type: 'image_url', image_url: { url: uri } },
      ]),
    );
    const content = ((await res.json()) as Json).choices[0].message.content as string;
    expect(content).toContain(`I see a PNG image, 64×48 pixels, ${bytes} bytes.`);
  });

  it('refuses an https image URL with 400 image_url_not_supported and the exact param', async () => {
    const s = await sim();
    const res = await chat(s, {
      model: 'qwen3-vl-30b-instruct',
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as Json;
    expect(error).toMatchObject({
      type: 'invalid_request_error',
      param: 'messages[1].content[1].image_url.url',
      code: 'image_url_not_supported',
    });
    expect(error.message).toMatch(/URL fetch not supported/);
  });
});

describe('faults', () => {
  it('status 500 fails chat and probes, and clears after `times`', async () => {
    const s = await sim();
    s.setFault({ kind: 'status', status: 500, times: 1 });
    expect((await fetch(`${s.origin}/health`)).status).toBe(500);
    const res = await chat(s, ask('hi'));
    expect(res.status).toBe(500);
    expect(((await res.json()) as Json).error.type).toBe('server_error');
    expect((await chat(s, ask('hi'))).status).toBe(200);
    expect((await fetch(`${s.origin}/health`)).status).toBe(200);
  });

  it('429 carries Retry-After and does not fail the probes', async () => {
    const s = await sim();
    s.setFault({ kind: 'status', status: 429, retryAfter: 7 });
    const res = await chat(s, ask('hi'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(((await res.json()) as Json).error.code).toBe('rate_limit_exceeded');
    expect((await fetch(`${s.origin}/health`)).status).toBe(200);
    expect((await chat(s, ask('hi'))).status).toBe(429);
  });

  it('returns a custom status body as given', async () => {
    const s = await sim();
    const body = {
      error: {
        message: 'too long',
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    };
    s.setFault({ kind: 'status', status: 400, body, times: 1 });
    const res = await chat(s, ask('hi'));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(body);
  });

  it('error-body answers 200 with an error object instead of a completion', async () => {
    const s = await sim({ name: 'openrouter', flavor: 'openrouter' });
    s.setFault({ kind: 'error-body', times: 1 });
    const res = await chat(s, ask('hi'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.error).toMatchObject({ code: 502 });
    expect(body.choices).toBeUndefined();
  });

  it('slow holds the response headers back', async () => {
    const s = await sim();
    s.setFault({ kind: 'slow', delayMs: 60_000, times: 1 });
    await expect(chat(s, ask('hi'), {}, AbortSignal.timeout(100))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect((await chat(s, ask('hi'))).status).toBe(200);
  });

  it('cut sends N chunks then closes the socket without [DONE]', async () => {
    const s = await sim();
    s.setFault({ kind: 'cut', afterChunks: 3, times: 1 });
    const res = await chat(s, ask('give me 50 words', { stream: true }));
    expect(res.status).toBe(200);
    const { text, error } = await drain(res);
    expect(error).toBeDefined();
    const events = sseData(text);
    expect(events).toHaveLength(3);
    expect(events).not.toContain('[DONE]');
    expect(sseData(await (await chat(s, ask('hi', { stream: true }))).text()).at(-1)).toBe(
      '[DONE]',
    );
  });

  it('cut truncates a JSON answer mid-body', async () => {
    const s = await sim();
    s.setFault({ kind: 'cut', afterChunks: 0, times: 1 });
    const res = await chat(s, ask('hi'));
    await expect(res.json()).rejects.toThrow();
    expect((await chat(s, ask('hi'))).status).toBe(200);
  });

  it('reset destroys the socket without an answer (probes too), after recording the request', async () => {
    const s = await sim();
    s.setFault({ kind: 'reset', times: 1 });
    await expect(rawGet(`${s.origin}/health`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(chat(s, ask('hi'))).rejects.toThrow('fetch failed');
    expect(s.chatRequests()).toHaveLength(1);
    expect((await chat(s, ask('hi'))).status).toBe(200);
  });

  it('stop() refuses connections and start() serves again on the same port', async () => {
    const s = await sim();
    const port = s.port;
    await s.stop();
    await expect(rawGet(`${s.origin}/health`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(chat(s, ask('hi'))).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    await s.start();
    expect(s.port).toBe(port);
    expect(await rawGet(`${s.origin}/health`)).toBe(200);
    expect((await chat(s, ask('hi'))).status).toBe(200);
  });
});

describe('auth and probes', () => {
  it('requires the bearer key on /v1/* but not on /health', async () => {
    const s = await sim({ apiKey: 'sk-sim' });
    const missing = await chat(s, ask('hi'));
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as Json).error.code).toBe('missing_api_key');
    const wrong = await chat(s, ask('hi'), { authorization: 'Bearer sk-other' });
    expect(((await wrong.json()) as Json).error).toMatchObject({
      code: 'invalid_api_key',
      type: 'invalid_request_error',
    });
    expect((await chat(s, ask('hi'), { authorization: 'Bearer sk-sim' })).status).toBe(200);
    expect((await fetch(`${s.url}/models`)).status).toBe(401);
    expect(
      (await fetch(`${s.url}/models`, { headers: { authorization: 'Bearer sk-sim' } })).status,
    ).toBe(200);
    expect((await fetch(`${s.origin}/health`)).status).toBe(200);
  });

  it('lists the served models', async () => {
    const s = await sim({ models: ['a', 'b'] });
    const body = (await (await fetch(`${s.url}/models`)).json()) as Json;
    expect(body.object).toBe('list');
    expect(body.data.map((m: Json) => m.id)).toEqual(['a', 'b']);
  });
});

describe('recording', () => {
  it('records body and headers of /v1/* requests in order, not /health', async () => {
    const s = await sim();
    await fetch(`${s.origin}/health`);
    await fetch(`${s.url}/models`);
    const sent = ask('hello', { max_tokens: 200, top_k: 5 });
    await chat(s, sent, { authorization: 'Bearer sk-x', 'x-request-id': 'req-1' });
    expect(s.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/models',
      'POST /v1/chat/completions',
    ]);
    const [recorded] = s.chatRequests();
    expect(recorded.body).toEqual(sent);
    expect(recorded.rawBody).toBe(JSON.stringify(sent));
    expect(recorded.headers).toMatchObject({
      authorization: 'Bearer sk-x',
      'x-request-id': 'req-1',
    });
    s.clearRequests();
    expect(s.requests).toHaveLength(0);
  });
});

describe('control plane', () => {
  it('injects and clears faults over HTTP', async () => {
    const s = await sim();
    const set = await fetch(`${s.origin}/_sim/fault`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'status', status: 503 }),
    });
    expect(set.status).toBe(200);
    expect((await chat(s, ask('hi'))).status).toBe(503);
    await fetch(`${s.origin}/_sim/fault`, { method: 'POST', body: 'null' });
    expect((await chat(s, ask('hi'))).status).toBe(200);
    const bad = await fetch(`${s.origin}/_sim/fault`, { method: 'POST', body: '{"kind":"nope"}' });
    expect(bad.status).toBe(400);
  });

  it('down resets every request but keeps the control plane; up restores', async () => {
    const s = await sim();
    await chat(s, ask('hi'));
    expect((await fetch(`${s.origin}/_sim/down`, { method: 'POST' })).status).toBe(200);
    await expect(rawGet(`${s.origin}/health`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(chat(s, ask('hi'))).rejects.toThrow('fetch failed');
    const summary = (await (await fetch(`${s.origin}/_sim/requests?last=1`)).json()) as Json;
    expect(summary).toMatchObject({ name: 'vllm', count: 1, chat_count: 1 });
    expect(summary.last[0].body.messages[0].content).toBe('hi');
    await fetch(`${s.origin}/_sim/up`, { method: 'POST' });
    expect(await rawGet(`${s.origin}/health`)).toBe(200);
  });
});
