import { GatewayError, InvalidRequestError, TINY_PNG_DATA_URI } from '@app/contracts';
import {
  isImageDataUri,
  isPlainChatRequest,
  validateChatRequest,
  validateChatRequestInFull,
} from './validate-chat-request';

const user = (content: unknown): Record<string, unknown> => ({ role: 'user', content });
const valid = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'llama-4-scout',
  messages: [user('hi')],
  ...extra,
});

function errorOf(body: unknown): { code: string; param: string | null; message: string } {
  try {
    validateChatRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestError);
    const { code, param, message, status } = err as GatewayError;
    expect(status).toBe(400);
    return { code, param, message };
  }
  throw new Error('expected the request to be refused');
}

describe('validateChatRequest', () => {
  it('returns the very object it was given, vendor fields intact and nothing coerced', () => {
    const body = valid({
      top_k: 40,
      repetition_penalty: 1.1,
      chat_template_kwargs: { enable_thinking: false },
      reasoning: { effort: 'high' },
      reasoning_effort: 'low',
      response_format: { type: 'json_object' },
      seed: 42,
      metadata: { team: 'search', nested: { tag: 'x' } },
      stream: false,
      stream_options: { include_usage: true },
      temperature: 0,
      top_p: 1,
      max_tokens: 1,
      max_completion_tokens: 1_000_000,
      n: 1,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: {} } }],
      tool_choice: 'auto',
    });
    const snapshot = structuredClone(body);
    expect(validateChatRequest(body)).toBe(body);
    expect(body).toEqual(snapshot);
  });

  it('accepts every message shape OpenAI clients send', () => {
    const body = valid({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'developer', content: 'x' },
        user([
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: TINY_PNG_DATA_URI, detail: 'low' } },
          { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
          { type: 'video_url', video_url: { url: 'data:video/mp4;base64,AAAA' } },
          {
            type: 'file',
            file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' },
          },
        ]),
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: '{"ok":true}' },
        { role: 'assistant', content: 'done', vendor_field: 1 },
      ],
    });
    expect(validateChatRequest(body)).toBe(body);
  });

  it.each([
    ['an array', []],
    ['a string', 'x'],
    ['null', null],
    ['a number', 1],
  ])('refuses a body that is %s (row 10)', (_case, body) => {
    expect(errorOf(body)).toMatchObject({ code: 'invalid_request_error', param: null });
  });

  it.each([
    ['missing', { messages: [user('x')] }, 'missing_required_parameter'],
    ['empty', valid({ model: '' }), 'invalid_value'],
    ['not a string', valid({ model: 42 }), 'invalid_value'],
    ['over 256 characters', valid({ model: 'm'.repeat(257) }), 'invalid_value'],
  ])('model %s → param "model" (row 13)', (_case, body, code) => {
    expect(errorOf(body)).toMatchObject({ code, param: 'model' });
  });

  it('accepts a 256-character model name', () => {
    expect(() => validateChatRequest(valid({ model: 'm'.repeat(256) }))).not.toThrow();
  });

  it.each([
    ['missing', { model: 'm' }],
    ['not an array', valid({ messages: 'hi' })],
    ['an object', valid({ messages: { 0: user('x') } })],
    ['empty', valid({ messages: [] })],
    ['over 2048 items', valid({ messages: Array.from({ length: 2049 }, () => user('x')) })],
    ['200k tiny items', valid({ messages: Array.from({ length: 200_000 }, () => ({})) })],
  ])('messages %s → param "messages" (rows 14, 19)', (_case, body) => {
    expect(errorOf(body).param).toBe('messages');
  });

  it('accepts exactly 2048 messages', () => {
    const body = valid({ messages: Array.from({ length: 2048 }, () => user('x')) });
    expect(validateChatRequest(body)).toBe(body);
  });

  it.each([
    ['a non-object message', [user('x'), 'hello'], 'messages[1]'],
    ['a null message', [null], 'messages[0]'],
    ['an invalid role', [user('x'), { role: 'root', content: 'x' }], 'messages[1].role'],
    ['a missing role', [{ content: 'x' }], 'messages[0].role'],
    ['numeric content', [user(5)], 'messages[0].content'],
    ['object content', [user({ text: 'x' })], 'messages[0].content'],
    ['missing content', [{ role: 'user' }], 'messages[0].content'],
    ['null content on a user message', [user(null)], 'messages[0].content'],
    [
      'null content on an assistant without tool_calls',
      [{ role: 'assistant', content: null }],
      'messages[0].content',
    ],
    [
      'a tool message without tool_call_id',
      [user('x'), { role: 'tool', content: 'r' }],
      'messages[1].tool_call_id',
    ],
    [
      'a non-string tool_call_id',
      [{ role: 'tool', content: 'r', tool_call_id: 7 }],
      'messages[0].tool_call_id',
    ],
    ['a non-string name', [{ role: 'user', content: 'x', name: 1 }], 'messages[0].name'],
    [
      'a non-array tool_calls',
      [{ role: 'assistant', content: 'x', tool_calls: {} }],
      'messages[0].tool_calls',
    ],
    [
      'an unknown part type',
      [user('x'), user('y'), user([{ type: 'text', text: 'a' }, { type: 'image' }])],
      'messages[2].content[1].type',
    ],
    ['a part without type', [user([{ text: 'a' }])], 'messages[0].content[0].type'],
    ['a non-object part', [user(['a'])], 'messages[0].content[0]'],
    ['a text part without text', [user([{ type: 'text' }])], 'messages[0].content[0].text'],
    [
      'a text part with numeric text',
      [user([{ type: 'text', text: 1 }])],
      'messages[0].content[0].text',
    ],
    [
      'an image part without image_url',
      [user([{ type: 'image_url' }])],
      'messages[0].content[0].image_url',
    ],
    [
      'an image_url given as a bare string',
      [user([{ type: 'image_url', image_url: 'data:x' }])],
      'messages[0].content[0].image_url',
    ],
    [
      'an image_url without url',
      [user([{ type: 'image_url', image_url: {} }])],
      'messages[0].content[0].image_url.url',
    ],
    [
      'an audio part without format',
      [user([{ type: 'input_audio', input_audio: { data: 'AA==' } }])],
      'messages[0].content[0].input_audio.format',
    ],
    [
      'a video part without url',
      [user([{ type: 'video_url', video_url: {} }])],
      'messages[0].content[0].video_url.url',
    ],
    ['a file part without file', [user([{ type: 'file' }])], 'messages[0].content[0].file'],
  ])('%s → param %s (row 15)', (_case, messages, param) => {
    const error = errorOf(valid({ messages }));
    expect(error.param).toBe(param);
    expect(['invalid_value', 'missing_required_parameter']).toContain(error.code);
    expect(error.message).toContain(param);
  });

  it.each([
    ['"true"', 'true'],
    ['"false"', 'false'],
    ['1', 1],
    ['0', 0],
    ['an object', {}],
  ])('stream %s is refused, not coerced (row 17)', (_case, stream) => {
    const body = valid({ stream });
    expect(errorOf(body)).toMatchObject({ code: 'invalid_value', param: 'stream' });
    expect(body.stream).toBe(stream);
  });

  it.each([
    ['stream_options', 'x', 'stream_options'],
    ['stream_options', [], 'stream_options'],
    ['stream_options', { include_usage: 'true' }, 'stream_options.include_usage'],
    ['temperature', -0.1, 'temperature'],
    ['temperature', 2.01, 'temperature'],
    ['temperature', '1', 'temperature'],
    ['top_p', -0.01, 'top_p'],
    ['top_p', 1.5, 'top_p'],
    ['max_tokens', 0, 'max_tokens'],
    ['max_tokens', -5, 'max_tokens'],
    ['max_tokens', 1.5, 'max_tokens'],
    ['max_tokens', '100', 'max_tokens'],
    ['max_tokens', 1_000_001, 'max_tokens'],
    ['max_completion_tokens', 0, 'max_completion_tokens'],
    ['max_completion_tokens', 2e9, 'max_completion_tokens'],
    ['n', 2, 'n'],
    ['n', 0, 'n'],
    ['n', 1000, 'n'],
    ['n', '1', 'n'],
    ['seed', JSON.parse('-9223372036854775809'), 'seed'],
    ['seed', JSON.parse('9223372036854775807'), 'seed'],
    ['seed', 1.5, 'seed'],
    ['frequency_penalty', 3, 'frequency_penalty'],
    ['presence_penalty', -3, 'presence_penalty'],
    ['tools', {}, 'tools'],
    ['tools', ['x'], 'tools[0]'],
    ['tools', [{ type: 'retrieval', function: { name: 'f' } }], 'tools[0].type'],
    ['tools', [{ type: 'function' }], 'tools[0].function'],
    ['tools', [{ type: 'function', function: {} }], 'tools[0].function.name'],
    ['tools', [{ type: 'function', function: { name: '' } }], 'tools[0].function.name'],
    ['tool_choice', 'sometimes', 'tool_choice'],
    ['modalities', 'image', 'modalities'],
  ])('%s = %j → param %s (row 18)', (field, value, param) => {
    expect(errorOf(valid({ [field]: value }))).toMatchObject({ param });
  });

  it.each([
    ['temperature', 'temperature'],
    ['top_k', 'top_k'],
    ['metadata', 'metadata'],
  ])('refuses a non-finite number in %s (1e309 parses to Infinity)', (field, param) => {
    expect(errorOf(valid({ [field]: Infinity }))).toMatchObject({ code: 'invalid_value', param });
  });

  it('names the path of a non-finite number deep in a vendor field', () => {
    expect(errorOf(valid({ metadata: { deep: [1, -Infinity] } })).param).toBe('metadata.deep[1]');
  });

  it('accepts null for optional numbers and the edges of each range', () => {
    for (const extra of [
      { temperature: null, top_p: null, max_tokens: null, n: null, stream: null },
      { temperature: 2, top_p: 0, seed: -9007199254740991 },
      { temperature: 0, top_p: 1, seed: 9007199254740991, max_tokens: 1_000_000 },
    ]) {
      expect(() => validateChatRequest(valid(extra))).not.toThrow();
    }
  });

  describe('routing-control fields (row 12)', () => {
    it.each([
      ['api_base', { api_base: 'http://evil' }, 'api_base'],
      ['base_url', { base_url: 'http://evil' }, 'base_url'],
      ['api_key', { api_key: 'sk-x' }, 'api_key'],
      ['custom_llm_provider', { custom_llm_provider: 'openai' }, 'custom_llm_provider'],
      ['extra_headers', { extra_headers: { 'x-a': '1' } }, 'extra_headers'],
      ['user_config', { user_config: {} }, 'user_config'],
      ['fallbacks', { fallbacks: ['gpt-4'] }, 'fallbacks'],
      ['provider', { provider: { order: ['x'] } }, 'provider'],
      ['metadata.api_base', { metadata: { api_base: 'http://evil' } }, 'metadata.api_base'],
      [
        'deep in metadata',
        { metadata: { a: [{ b: { provider: 'x' } }] } },
        'metadata.a[0].b.provider',
      ],
      [
        'inside a message',
        { messages: [{ role: 'user', content: 'x', api_key: 'k' }] },
        'messages[0].api_key',
      ],
      [
        'in a vendor object',
        { chat_template_kwargs: { base_url: 'x' } },
        'chat_template_kwargs.base_url',
      ],
      ['even with a null value', { api_base: null }, 'api_base'],
    ])('%s → unsupported_parameter', (_case, extra, param) => {
      const error = errorOf(valid(extra));
      expect(error).toMatchObject({ code: 'unsupported_parameter', param });
      expect(error.message).not.toContain('evil');
    });

    it('leaves a property named like one inside a tool JSON schema or response_format schema alone', () => {
      const body = valid({
        tools: [
          {
            type: 'function',
            function: {
              name: 'book',
              parameters: {
                type: 'object',
                properties: { provider: { type: 'string' }, api_key: { type: 'string' } },
              },
            },
          },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', schema: { properties: { base_url: { type: 'string' } } } },
        },
      });
      expect(validateChatRequest(body)).toBe(body);
    });

    it('still refuses one next to the schema', () => {
      const body = valid({
        tools: [{ type: 'function', function: { name: 'f', parameters: {}, provider: 'x' } }],
      });
      expect(errorOf(body)).toMatchObject({
        code: 'unsupported_parameter',
        param: 'tools[0].function.provider',
      });
    });
  });

  it.each([
    [
      '__proto__',
      JSON.parse('{"model":"m","messages":[],"__proto__":{"polluted":1}}'),
      '__proto__',
    ],
    ['constructor', { ...valid(), constructor: { prototype: { polluted: 1 } } }, 'constructor'],
    ['nested prototype', valid({ metadata: { prototype: 1 } }), 'metadata.prototype'],
  ])('refuses the prototype key %s (row 11)', (_case, body, param) => {
    expect(errorOf(body)).toMatchObject({ code: 'forbidden_key', param });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('image_url (row 16)', () => {
    const image = (url: string): Record<string, unknown> =>
      valid({
        messages: [
          user('first'),
          user([
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url } },
          ]),
        ],
      });

    it.each([
      'https://example.com/cat.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]/x.png',
      'file:///etc/passwd',
      'ftp://example.com/a.png',
      'gopher://example.com/',
      '//example.com/a.png',
      ' data:image/png;base64,AAAA',
      '',
    ])('refuses %j with image_url_not_supported and the exact param', (url) => {
      expect(errorOf(image(url))).toMatchObject({
        code: 'image_url_not_supported',
        param: 'messages[1].content[1].image_url.url',
      });
    });

    it.each([
      ['a non-image MIME type', 'data:text/plain;base64,aGVsbG8='],
      ['no base64 marker', 'data:image/png,rawbytes'],
      ['no comma', 'data:image/png;base64'],
      ['empty data', 'data:image/png;base64,'],
      ['characters outside base64', 'data:image/png;base64,iVBO%%%'],
      ['whitespace in the data', 'data:image/png;base64,iVBO RK=='],
      ['too much padding', 'data:image/png;base64,iVB==='],
      ['a bad length', 'data:image/png;base64,iVBOR'],
      ['padding in the middle', 'data:image/png;base64,iV==BORw'],
      ['non-ASCII data', 'data:image/png;base64,iVBOé==='],
      ['an SVG document', 'data:image/svg+xml;base64,PHN2Zz4='],
      ['a non-image media type', 'data:text/html;base64,PGI+'],
    ])('refuses %s with invalid_image_data', (_case, url) => {
      expect(errorOf(image(url))).toMatchObject({
        code: 'invalid_image_data',
        param: 'messages[1].content[1].image_url.url',
      });
    });

    it.each([
      TINY_PNG_DATA_URI,
      'data:image/jpeg;base64,/9j/4AAQ',
      'DATA:IMAGE/WEBP;BASE64,UklGRg==',
      'data:image/png;base64,iVBORw',
    ])('accepts %s', (url) => {
      const body = image(url);
      expect(validateChatRequest(body)).toBe(body);
    });

    it('checks a 20 MiB image with a linear scan', () => {
      const big = `data:image/png;base64,${'A'.repeat(20 * 1024 * 1024)}`;
      expect(isImageDataUri(big)).toBe(true);
      expect(isImageDataUri(`${big.slice(0, -1)}!`)).toBe(false);
    });
  });

  describe('other inline media: bytes only, never a URL to fetch', () => {
    const part = (p: Record<string, unknown>): Record<string, unknown> =>
      valid({ messages: [user([{ type: 'text', text: 'see' }, p])] });
    const at = 'messages[0].content[1]';

    it.each([
      [
        'an http video URL',
        { type: 'video_url', video_url: { url: 'http://169.254.169.254/latest' } },
        `${at}.video_url.url`,
        'invalid_value',
      ],
      [
        'an image as a video',
        { type: 'video_url', video_url: { url: TINY_PNG_DATA_URI } },
        `${at}.video_url.url`,
        'invalid_value',
      ],
      [
        'audio data that is a URL',
        { type: 'input_audio', input_audio: { data: 'http://169.254.169.254/', format: 'wav' } },
        `${at}.input_audio.data`,
        'invalid_value',
      ],
      [
        'an unknown audio format',
        { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'exe' } },
        `${at}.input_audio.format`,
        'invalid_value',
      ],
      [
        'a stored file id',
        { type: 'file', file: { file_id: 'file-abc' } },
        `${at}.file.file_id`,
        'unsupported_parameter',
      ],
      [
        'a file without data',
        { type: 'file', file: { filename: 'a.pdf' } },
        `${at}.file.file_data`,
        'missing_required_parameter',
      ],
      [
        'file data that is a URL',
        { type: 'file', file: { file_data: 'https://example.com/a.pdf' } },
        `${at}.file.file_data`,
        'invalid_value',
      ],
      [
        'an unknown file field',
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', url: 'x' } },
        `${at}.file.url`,
        'unknown_parameter',
      ],
    ])('refuses %s', (_case, p, param, code) => {
      expect(errorOf(part(p))).toMatchObject({ code, param });
    });

    it.each([
      { type: 'video_url', video_url: { url: 'data:video/mp4;base64,AAAA' } },
      { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'mp3' } },
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } },
    ])('accepts inline %j', (p) => {
      const body = part(p);
      expect(validateChatRequest(body)).toBe(body);
    });
  });
});

describe('the plain-request shortcut', () => {
  const ODD_VALUES: unknown[] = [
    undefined,
    null,
    true,
    false,
    0,
    -0,
    1,
    2,
    1.5,
    -1,
    0.5,
    2.0000001,
    1e6,
    1e6 + 1,
    Number.POSITIVE_INFINITY,
    Number.NaN,
    '',
    ' ',
    '1',
    'x',
    '\uFE0F',
    'a'.repeat(256),
    'a'.repeat(257),
    'llama 4',
    [],
    [null],
    {},
    { role: 'user' },
  ];
  const FIELDS: Record<string, unknown[]> = {
    model: ODD_VALUES,
    stream: ODD_VALUES,
    max_tokens: ODD_VALUES,
    max_completion_tokens: ODD_VALUES,
    temperature: ODD_VALUES,
    top_p: ODD_VALUES,
    n: ODD_VALUES,
    stream_options: [{ include_usage: true }],
    provider: [{ order: ['x'] }],
  };
  const MESSAGES: unknown[] = [
    user('hi'),
    user(''),
    user(['hi']),
    user(null),
    { role: 'system', content: 'be brief' },
    { role: 'developer', content: 'x', name: 'dev' },
    { role: 'assistant', content: 'ok', name: 7 },
    { role: 'tool', content: 'r' },
    { role: 'tool', content: 'r', tool_call_id: 'c1' },
    { role: 'function', content: 'r', name: 'f' },
    { role: 'robot', content: 'x' },
    { role: 'user', content: 'x', extra: 1 },
    { role: 'user' },
    'hi',
    null,
  ];

  /** Deterministic bodies: every odd value in every field, then seeded random mixes of them. */
  function* bodies(): Generator<Record<string, unknown>> {
    for (const [field, values] of Object.entries(FIELDS)) {
      for (const value of values) {
        yield valid({ [field]: value });
      }
    }
    for (const message of MESSAGES) {
      yield valid({ messages: [message] });
      yield valid({ messages: [user('a'), message] });
    }
    yield valid({ messages: [] });
    yield valid({ messages: 'hi' });
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const body: Record<string, unknown> = {
        messages: Array.from({ length: 1 + random(3) }, () => MESSAGES[random(MESSAGES.length)]),
      };
      for (const [field, values] of Object.entries(FIELDS)) {
        if (random(3) === 0) {
          body[field] = values[random(values.length)];
        }
      }
      body.model ??= 'llama-4-scout';
      yield body;
    }
  }

  it('takes the common request, and nothing with a field or shape it does not know', () => {
    expect(isPlainChatRequest(valid({ stream: true, max_tokens: 200, temperature: 0.2 }))).toBe(
      true,
    );
    expect(isPlainChatRequest(valid({ top_k: 40 }))).toBe(false);
    expect(isPlainChatRequest(valid({ stream_options: { include_usage: true } }))).toBe(false);
    expect(isPlainChatRequest(valid({ max_tokens: null }))).toBe(false);
    expect(isPlainChatRequest(valid({ messages: [user([{ type: 'text', text: 'hi' }])] }))).toBe(
      false,
    );
  });

  it('accepts only bodies that the full validation accepts too', () => {
    let plain = 0;
    let full = 0;
    for (const body of bodies()) {
      let valid = true;
      try {
        validateChatRequestInFull(body);
      } catch {
        valid = false;
      }
      if (isPlainChatRequest(body)) {
        plain++;
        expect({ body, valid }).toEqual({ body, valid: true });
      }
      full += valid ? 1 : 0;
    }
    // Both kinds occur, and some valid bodies are left to the full path (vendor fields, tools…).
    expect(plain).toBeGreaterThan(40);
    expect(full).toBeGreaterThan(plain);
  });

  it('words refusals exactly as the full validation does', () => {
    for (const body of [valid({ temperature: 3 }), valid({ messages: [user(null)] })]) {
      expect(() => validateChatRequestInFull(body)).toThrow(expect.objectContaining(errorOf(body)));
    }
  });
});
