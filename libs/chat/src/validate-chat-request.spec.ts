import {
  GatewayError,
  InvalidRequestError,
  isImageDataUri,
  TINY_PNG_DATA_URI,
} from '@app/contracts';
import { validateChatRequest } from './validate-chat-request';

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
      stream: true,
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
    [{ include_usage: true }, undefined],
    [{ include_usage: true }, false],
    [{}, null],
    ['x', undefined],
  ])(
    'stream_options %j with stream %j is refused, naming stream_options (as vLLM does)',
    (options, stream) => {
      expect(errorOf(valid({ stream_options: options, stream }))).toEqual({
        code: 'invalid_value',
        param: 'stream_options',
        message:
          "Invalid value for 'stream_options': only allowed with `stream: true` (set `stream: true`, or leave `stream_options` out).",
      });
    },
  );

  it('accepts stream_options with stream: true, and a null one without', () => {
    for (const extra of [
      { stream: true, stream_options: { include_usage: true } },
      { stream: true, stream_options: null },
      { stream: false, stream_options: null },
      { stream_options: null },
    ]) {
      const body = valid(extra);
      expect(validateChatRequest(body)).toBe(body);
    }
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
    ['response_format', { type: 'xml' }, 'response_format.type'],
    ['response_format', { type: 'json_schema' }, 'response_format.json_schema'],
  ])('%s = %j → param %s (row 18)', (field, value, param) => {
    // stream: true, so a stream_options is judged by its own rules.
    expect(errorOf(valid({ stream: true, [field]: value }))).toMatchObject({ param });
  });

  it.each(['temperature', 'top_p', 'max_tokens', 'seed'])(
    'refuses a non-finite %s (1e309 parses to Infinity; elsewhere the body reader refuses it)',
    (field) => {
      for (const value of [Infinity, -Infinity, NaN]) {
        expect(errorOf(valid({ [field]: value }))).toMatchObject({
          code: 'invalid_value',
          param: field,
        });
      }
    },
  );

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
      JSON.parse(
        '{"model":"m","messages":[{"role":"user","content":"x"}],"__proto__":{"polluted":1}}',
      ),
      '__proto__',
    ],
    ['constructor', { ...valid(), constructor: { prototype: { polluted: 1 } } }, 'constructor'],
    ['nested prototype', valid({ metadata: { prototype: 1 } }), 'metadata.prototype'],
  ])('refuses the prototype key %s (row 11)', (_case, body, param) => {
    expect(errorOf(body)).toMatchObject({ code: 'forbidden_key', param });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('per-role messages and typed parts (the published schema)', () => {
    it.each([
      [
        'an image part in a system message',
        [
          {
            role: 'system',
            content: [{ type: 'image_url', image_url: { url: TINY_PNG_DATA_URI } }],
          },
        ],
        'messages[0].content[0].type',
      ],
      [
        'a refusal part in a user message',
        [user([{ type: 'refusal', refusal: 'no' }])],
        'messages[0].content[0].type',
      ],
      [
        'an empty tool_call_id',
        [{ role: 'tool', content: 'r', tool_call_id: '' }],
        'messages[0].tool_call_id',
      ],
      [
        'an assistant with an empty tool_calls and no content',
        [{ role: 'assistant', tool_calls: [] }],
        'messages[0].content',
      ],
      [
        'a tool call without id',
        [
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
        ],
        'messages[0].tool_calls[0].id',
      ],
      [
        'a tool call with an empty function name',
        [
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: '', arguments: '{}' } }],
          },
        ],
        'messages[0].tool_calls[0].function.name',
      ],
      ['a function message without name', [{ role: 'function', content: 'r' }], 'messages[0].name'],
      ['a message with no role', [{ content: 'x' }], 'messages[0].role'],
    ])('refuses %s → %s', (_case, messages, param) => {
      expect(errorOf(valid({ messages }))).toMatchObject({ param });
    });

    it('accepts what OpenAI accepts: assistant content null or absent with tool_calls or function_call, refusal parts, text parts in a tool message', () => {
      const body = valid({
        messages: [
          user('x'),
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'c', content: [{ type: 'text', text: 'r' }] },
          { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } },
          { role: 'function', name: 'f', content: null },
          {
            role: 'assistant',
            content: [
              { type: 'refusal', refusal: 'no' },
              { type: 'text', text: 'but' },
            ],
          },
        ],
        stream_options: null,
        modalities: null,
        seed: null,
      });
      expect(validateChatRequest(body)).toBe(body);
    });

    it('words each refusal with the exact path and the rule', () => {
      expect(errorOf(valid({ max_tokens: 1.5 }))).toEqual({
        code: 'invalid_value',
        param: 'max_tokens',
        message: "Invalid value for 'max_tokens': expected an integer or null.",
      });
      expect(errorOf(valid({ messages: [user(5)] })).message).toBe(
        "Invalid value for 'messages[0].content': expected a string or an array.",
      );
      expect(errorOf(valid({ messages: [{ role: 'root', content: 'x' }] })).message).toBe(
        'Invalid value for \'messages[0].role\': expected one of "system", "developer", "user", "assistant", "tool", "function".',
      );
      expect(errorOf(valid({ tool_choice: 'sometimes' })).message).toBe(
        'Invalid value for \'tool_choice\': expected "none", "auto", "required" or an object.',
      );
    });
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
