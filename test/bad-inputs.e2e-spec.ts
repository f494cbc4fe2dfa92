import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { SimServer } from '../apps/upstream-sim/src';
import type { FakeBackends } from './support/backends';
import {
  clearFaults,
  startGatewayOnFakes,
  stopGatewayOnFakes,
  writeKeysFile,
} from './support/fixture';
import { auth, CLIENT_KEY, type RunningGateway } from './support/gateway';
import { rawHttp } from './support/raw-http';

/**
 * ../shared/BAD_INPUTS.md rows 1–23 and 27 against the real gateway: each bad input gets its
 * status, `error.code` and exact `error.param` in the OpenAI envelope, with no stack trace or
 * secret in the body, and nothing reaches any backend. Rows 24–26 and 28 are tested elsewhere.
 */

const LIMITED_KEY = 'sk-e2e-limited-0123456789abcdef';
const UPSTREAM_KEY = 'upstream-key-never-shown-4242';
const MiB = 1024 * 1024;

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

const raw = rawHttp;

/** The JSON body of a raw HTTP/1.1 response (Content-Length or chunked). */
function rawJson(response: string): ErrorBody {
  const [head, ...rest] = response.split('\r\n\r\n');
  let body = rest.join('\r\n\r\n');
  if (/transfer-encoding: chunked/i.test(head)) {
    let out = '';
    for (let at = 0; ;) {
      const eol = body.indexOf('\r\n', at);
      const size = parseInt(body.slice(at, eol), 16);
      if (!size) {
        break;
      }
      out += body.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
    body = out;
  }
  return JSON.parse(Buffer.from(body, 'latin1').toString('utf8')) as ErrorBody;
}

describe('bad inputs on POST /v1/chat/completions (e2e, BAD_INPUTS.md)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  let port: number;
  let sims: SimServer[];

  const valid = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    model: 'llama-4-scout',
    messages: [{ role: 'user', content: 'Say hello to the DGX' }],
    ...extra,
  });

  const post = (
    body: string | Uint8Array<ArrayBuffer> | Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    });

  const forwarded = (): number => sims.reduce((n, sim) => n + sim.chatRequests().length, 0);

  /** The envelope, exactly; no internals or secrets; and not one chat request upstream. */
  function expectClean(body: unknown, status: number, res?: { status: number }): void {
    if (res) {
      expect(res.status).toBe(status);
    }
    expect(Object.keys(body as object)).toEqual(['error']);
    const { error } = body as ErrorBody;
    expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(typeof error.code).toBe('string');
    expect(typeof error.message).toBe('string');
    const text = JSON.stringify(body);
    for (const secret of [CLIENT_KEY, LIMITED_KEY, UPSTREAM_KEY, ...sims.map((s) => s.origin)]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(
      /\bat \S+ \(|node_modules|\.ts:\d+|\/work\/|SyntaxError|Unexpected token/,
    );
    expect(forwarded()).toBe(0);
  }

  async function expectError(
    res: Response,
    status: number,
    code: string,
    param?: string | null,
  ): Promise<ErrorBody['error']> {
    const body = (await res.json()) as ErrorBody;
    expectClean(body, status, res);
    expect(body.error.code).toBe(code);
    if (param !== undefined) {
      expect(body.error.param).toBe(param);
    }
    return body.error;
  }

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes(
      {
        BACKEND_HEALTH_INTERVAL_SECONDS: '3600',
        GATEWAY_API_KEYS_FILE: writeKeysFile(
          `keys:\n  - { name: limited, key: ${LIMITED_KEY}, models: [llama-4-scout] }\n`,
        ),
      },
      {},
      { vllm: UPSTREAM_KEY, ollama: UPSTREAM_KEY, openrouter: UPSTREAM_KEY },
    ));
    sims = fakes.all();
    port = (gw.server.address() as AddressInfo).port;
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));
  beforeEach(() => clearFaults(sims, { clearRequests: true }));

  it('serves the valid request these rows are variations of (the fakes are reachable)', async () => {
    const res = await post(valid());
    expect(res.status).toBe(200);
    expect(forwarded()).toBe(1);
  });

  describe('row 1: no Authorization header', () => {
    it('is 401 missing_api_key with WWW-Authenticate: Bearer', async () => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(valid()),
      });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      await expectError(res, 401, 'missing_api_key', null);
    });
  });

  describe('row 2: malformed Authorization', () => {
    it.each([
      ['Basic', `Basic ${Buffer.from(`u:${CLIENT_KEY}`).toString('base64')}`],
      ['Bearer with an empty token', 'Bearer '],
      ['a token containing a space', `Bearer ${CLIENT_KEY} x`],
      ['a token containing a tab', `Bearer ${CLIENT_KEY}\tx`],
    ])('%s is 401 invalid_api_key', async (_case, header) => {
      const res = await post(valid(), { Authorization: header });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      await expectError(res, 401, 'invalid_api_key', null);
    });

    it('two Authorization headers are 401 invalid_api_key', async () => {
      const body = JSON.stringify(valid());
      const response = await raw(port, (write) =>
        write(
          'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' +
            `Authorization: Bearer ${CLIENT_KEY}\r\nAuthorization: Bearer ${CLIENT_KEY}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        ),
      );
      expect(response).toMatch(/^HTTP\/1\.1 401 /);
      const error = rawJson(response);
      expectClean(error, 401);
      expect(error.error.code).toBe('invalid_api_key');
    });

    it('a lower-case "bearer" scheme is accepted', async () => {
      const res = await post(valid(), { Authorization: `bearer ${CLIENT_KEY}` });
      expect(res.status).toBe(200);
      expect(forwarded()).toBe(1);
    });
  });

  describe('row 3: wrong key', () => {
    it.each([
      ['of the same length', `sk-e2e-client-${'x'.repeat(CLIENT_KEY.length - 14)}`],
      ['of a different length', 'sk-short'],
      ['over 4 KB long', `sk-${'k'.repeat(5000)}`],
    ])('%s is 401 invalid_api_key', async (_case, key) => {
      expect(key === CLIENT_KEY).toBe(false);
      await expectError(
        await post(valid(), { Authorization: `Bearer ${key}` }),
        401,
        'invalid_api_key',
        null,
      );
    });

    it('over 16 KiB of headers is 431 from Node', async () => {
      const response = await raw(port, (write) =>
        write(
          'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            `Authorization: Bearer ${'k'.repeat(17 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`,
        ),
      );
      expect(response).toMatch(/^HTTP\/1\.1 431 /);
      expect(forwarded()).toBe(0);
    });
  });

  describe('row 4: model the key may not use, or unknown', () => {
    it('answers both with the same 404 model_not_found, so aliases cannot be enumerated', async () => {
      const limited = { Authorization: `Bearer ${LIMITED_KEY}` };
      const denied = await expectError(
        await post(valid({ model: 'gpt-5.5-pro' }), limited),
        404,
        'model_not_found',
        'model',
      );
      const unknown = await expectError(
        await post(valid({ model: 'gpt-9' }), limited),
        404,
        'model_not_found',
        'model',
      );
      expect(denied.message.replace('gpt-5.5-pro', 'M')).toBe(
        unknown.message.replace('gpt-9', 'M'),
      );
      expect(denied.type).toBe(unknown.type);
      await expectError(await post(valid({ model: 'gpt-9' })), 404, 'model_not_found', 'model');
      expect((await post(valid(), limited)).status).toBe(200);
    });
  });

  describe('row 5: Content-Type not application/json', () => {
    it.each([
      ['text/plain', 'text/plain'],
      ['a form', 'application/x-www-form-urlencoded'],
      ['multipart', 'multipart/form-data; boundary=xyz'],
    ])('%s is 415 unsupported_media_type', async (_case, type) => {
      await expectError(
        await post(JSON.stringify(valid()), { 'content-type': type }),
        415,
        'unsupported_media_type',
      );
    });

    it('a missing Content-Type is 415 unsupported_media_type', async () => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: auth,
        body: new Blob([JSON.stringify(valid())]),
      });
      await expectError(res, 415, 'unsupported_media_type');
    });
  });

  describe('row 6: compressed bodies', () => {
    it.each(['gzip', 'deflate', 'br'])(
      'Content-Encoding %s is 415, never inflated',
      async (enc) => {
        await expectError(
          await post(JSON.stringify(valid()), { 'content-encoding': enc }),
          415,
          'unsupported_media_type',
        );
      },
    );
  });

  describe('row 7: body over the 20 MiB limit', () => {
    it('a declared Content-Length is answered 413 before the body is sent, then closed', async () => {
      const response = await raw(port, (write) =>
        write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_KEY}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${21 * MiB}\r\n\r\n`,
        ),
      );
      expect(response).toMatch(/^HTTP\/1\.1 413 /);
      expect(response.toLowerCase()).toContain('connection: close');
      const body = rawJson(response);
      expectClean(body, 413);
      expect(body.error.code).toBe('request_too_large');
    });

    it('a declared oversize body reaches fetch as a 413 envelope', async () => {
      const body = Buffer.alloc(21 * MiB, 0x20);
      await expectError(await post(body), 413, 'request_too_large', null);
    });

    it('a chunked body is cut off with a 413 once it passes the limit', async () => {
      const piece = new Uint8Array(MiB).fill(0x20);
      let sent = 0;
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent++ < 30) {
              controller.enqueue(piece);
            } else {
              controller.close();
            }
          },
        }),
        duplex: 'half',
      } as RequestInit);
      await expectError(res, 413, 'request_too_large', null);
    });

    it('an endless chunked upload over a raw socket gets a 413 and a closed connection', async () => {
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      const response = await raw(port, (write) => {
        write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_KEY}\r\n` +
            'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
        );
        for (let i = 0; i < 100; i++) {
          write(`${chunk.length.toString(16)}\r\n`);
          write(chunk);
          write('\r\n');
        }
      });
      expect(response).toMatch(/^HTTP\/1\.1 413 /);
      expect(response.toLowerCase()).toContain('connection: close');
      expect(forwarded()).toBe(0);
    });

    it('a lying Content-Length (more bytes than declared) is never read past what was declared', async () => {
      const response = await raw(port, (write) => {
        write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_KEY}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 10\r\n\r\n',
        );
        write(JSON.stringify(valid({ pad: 'x'.repeat(MiB) })));
      });
      // The declared 10 bytes are not JSON, and the surplus parses as a malformed pipelined
      // request: either way a 400 and a closed connection, from the gateway or from llhttp.
      expect(response).toMatch(/^HTTP\/1\.1 400 /);
      expect(forwarded()).toBe(0);
    });
  });

  describe("row 8: framing Node's parser refuses", () => {
    it.each([
      [
        'both Content-Length and Transfer-Encoding',
        'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ],
      ['an invalid chunk size', 'Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
    ])('%s is a 400 and a closed connection', async (_case, rest) => {
      const response = await raw(port, (write) =>
        write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_KEY}\r\n` +
            `Content-Type: application/json\r\n${rest}`,
        ),
      );
      expect(response).toMatch(/^HTTP\/1\.1 400 /);
      expect(forwarded()).toBe(0);
    });
  });

  describe('row 9: invalid JSON', () => {
    it.each([
      ['truncated', '{"model":"llama-4-scout","messages":[{"role":"user"'],
      ['a trailing comma', '{"model":"llama-4-scout","messages":[],}'],
      ['BOM junk', `\uFEFF${JSON.stringify(valid())}`],
      ['whitespace only', '  \n\t  '],
    ])('%s is 400 invalid_json without parser internals', async (_case, body) => {
      const error = await expectError(await post(body), 400, 'invalid_json', null);
      expect(error.message).not.toMatch(/position|line|column|token/i);
    });
  });

  describe('row 10: JSON that is not an object', () => {
    it.each(['[]', '"x"', 'null', '1'])('%s is 400 invalid_request_error', async (body) => {
      await expectError(await post(body), 400, 'invalid_request_error', null);
    });
  });

  describe('row 11: prototype keys', () => {
    it.each([
      [
        'top-level __proto__',
        `{"__proto__":{"polluted":true},"model":"llama-4-scout"}`,
        '__proto__',
      ],
      [
        'nested __proto__',
        `{"model":"llama-4-scout","messages":[{"role":"user","content":"x","__proto__":{"polluted":true}}]}`,
        'messages[0].__proto__',
      ],
      ['constructor', `{"constructor":{"prototype":{"polluted":true}}}`, 'constructor'],
      [
        'prototype in metadata',
        `{"metadata":{"prototype":{"polluted":true}}}`,
        'metadata.prototype',
      ],
    ])('%s is 400 and pollutes nothing', async (_case, body, param) => {
      await expectError(await post(body), 400, 'forbidden_key', param);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
  });

  describe('row 12: routing-control fields', () => {
    it.each([
      [{ api_base: 'http://169.254.169.254' }, 'api_base'],
      [{ base_url: 'http://evil.example' }, 'base_url'],
      [{ api_key: 'sk-stolen' }, 'api_key'],
      [{ custom_llm_provider: 'openai' }, 'custom_llm_provider'],
      [{ extra_headers: { Authorization: 'Bearer x' } }, 'extra_headers'],
      [{ user_config: { model_list: [] } }, 'user_config'],
      [{ fallbacks: ['gpt-5.5-pro'] }, 'fallbacks'],
      [{ provider: { order: ['anthropic'] } }, 'provider'],
      [{ metadata: { api_base: 'http://evil.example' } }, 'metadata.api_base'],
      [{ metadata: { tags: [{ provider: 'x' }] } }, 'metadata.tags[0].provider'],
      [{ chat_template_kwargs: { base_url: 'x' } }, 'chat_template_kwargs.base_url'],
    ])('%j is 400 unsupported_parameter', async (extra, param) => {
      await expectError(await post(valid(extra)), 400, 'unsupported_parameter', param);
    });

    it('while vendor extras pass through untouched', async () => {
      const extras = {
        top_k: 40,
        repetition_penalty: 1.05,
        chat_template_kwargs: { enable_thinking: false },
        reasoning: { effort: 'low' },
        seed: 7,
        metadata: { team: 'search' },
      };
      const res = await post(valid(extras));
      expect(res.status).toBe(200);
      const [sent] = sims[0].chatRequests();
      expect(sent.body).toMatchObject(extras);
    });
  });

  describe('row 13: model', () => {
    it.each([
      ['missing', { messages: [{ role: 'user', content: 'x' }] }],
      ['empty', valid({ model: '' })],
      ['not a string', valid({ model: ['llama-4-scout'] })],
      ['over 256 characters', valid({ model: 'm'.repeat(257) })],
    ])('%s is 400 with param "model"', async (_case, body) => {
      const res = await post(body);
      const json = (await res.json()) as ErrorBody;
      expectClean(json, 400, res);
      expect(json.error.param).toBe('model');
      expect(['missing_required_parameter', 'invalid_value']).toContain(json.error.code);
    });
  });

  describe('row 14: messages', () => {
    it.each([
      ['missing', { model: 'llama-4-scout' }],
      ['not an array', valid({ messages: 'hello' })],
      ['empty', valid({ messages: [] })],
      [
        'over 2,048 items',
        valid({ messages: Array.from({ length: 2049 }, () => ({ role: 'user', content: 'x' })) }),
      ],
    ])('%s is 400 with param "messages"', async (_case, body) => {
      const res = await post(body);
      const json = (await res.json()) as ErrorBody;
      expectClean(json, 400, res);
      expect(json.error.param).toBe('messages');
    });
  });

  describe('row 15: bad messages', () => {
    const user = (content: unknown) => ({ role: 'user', content });
    it.each([
      ['an invalid role', [user('x'), { role: 'wizard', content: 'x' }], 'messages[1].role'],
      ['numeric content', [user(42)], 'messages[0].content'],
      ['object content', [user({ text: 'x' })], 'messages[0].content'],
      [
        'an unknown content-part type',
        [user('a'), user('b'), user([{ type: 'text', text: 'x' }, { type: 'image' }])],
        'messages[2].content[1].type',
      ],
      [
        'a tool message without tool_call_id',
        [user('x'), { role: 'tool', content: '{}' }],
        'messages[1].tool_call_id',
      ],
      ['a non-object message', [user('x'), 'hello'], 'messages[1]'],
    ])('%s is 400 pointing at it', async (_case, messages, param) => {
      const res = await post(valid({ messages }));
      const json = (await res.json()) as ErrorBody;
      expectClean(json, 400, res);
      expect(json.error.param).toBe(param);
    });
  });

  describe('row 16: image_url that is not a base64 data URI', () => {
    let canary: NetServer;
    let connections = 0;
    beforeAll(async () => {
      canary = createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => canary.close(() => resolve())));

    const image = (url: string) =>
      valid({
        model: 'qwen3-vl-30b-instruct',
        messages: [
          { role: 'system', content: 'describe' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in this image?' },
              { type: 'image_url', image_url: { url } },
            ],
          },
        ],
      });

    it.each([
      'https://example.com/cat.png',
      'http://169.254.169.254/latest/meta-data/iam/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1%25eth0]/x.png',
      'file:///etc/passwd',
      'ftp://example.com/cat.png',
      'gopher://example.com:70/_x',
      'http://dns-canary.invalid/cat.png',
    ])('%s is 400 image_url_not_supported with the exact param', async (url) => {
      await expectError(
        await post(image(url)),
        400,
        'image_url_not_supported',
        'messages[1].content[1].image_url.url',
      );
    });

    it('never connects to the URL', async () => {
      const { port: canaryPort } = canary.address() as AddressInfo;
      await expectError(
        await post(image(`http://127.0.0.1:${canaryPort}/cat.png`)),
        400,
        'image_url_not_supported',
        'messages[1].content[1].image_url.url',
      );
      expect(connections).toBe(0);
    });

    it.each([
      ['a non-image MIME type', 'data:text/html;base64,PGgxPg=='],
      ['bad base64', 'data:image/png;base64,not*base64!'],
    ])('a data URI with %s is 400 invalid_image_data', async (_case, url) => {
      await expectError(
        await post(image(url)),
        400,
        'invalid_image_data',
        'messages[1].content[1].image_url.url',
      );
    });
  });

  describe('row 17: stream that is not a boolean', () => {
    it.each([
      ['"true"', 'true'],
      ['1', 1],
      ['"false"', 'false'],
    ])('stream %s is 400, not coerced', async (_case, stream) => {
      await expectError(await post(valid({ stream })), 400, 'invalid_value', 'stream');
    });

    it.each([undefined, false, null])(
      'stream_options with stream %j is 400 naming stream_options, as vLLM refuses it',
      async (stream) => {
        const error = await expectError(
          await post(valid({ stream, stream_options: { include_usage: true } })),
          400,
          'invalid_value',
          'stream_options',
        );
        expect(error.message).toContain('only allowed with `stream: true`');
      },
    );
  });

  describe('row 18: out-of-range numbers', () => {
    it.each([
      ['"temperature":-0.5', 'temperature'],
      ['"temperature":2.5', 'temperature'],
      ['"top_p":1.5', 'top_p'],
      ['"top_p":-0.1', 'top_p'],
      ['"max_tokens":0', 'max_tokens'],
      ['"max_tokens":-1', 'max_tokens'],
      ['"max_tokens":1000000000', 'max_tokens'],
      ['"max_completion_tokens":0', 'max_completion_tokens'],
      ['"n":2', 'n'],
      ['"n":100000', 'n'],
      ['"temperature":1e309', 'temperature'],
      ['"top_k":1e309', 'top_k'],
      ['"seed":-9223372036854775809', 'seed'],
    ])('%s is 400 with its param', async (field, param) => {
      const body = `{"model":"llama-4-scout","messages":[{"role":"user","content":"x"}],${field}}`;
      await expectError(await post(body), 400, 'invalid_value', param);
    });
  });

  describe('row 19: deep nesting and huge arrays', () => {
    it('nesting over 32 levels is 400', async () => {
      const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
      await expectError(
        await post(`{"model":"llama-4-scout","metadata":${deep}}`),
        400,
        'nesting_too_deep',
        null,
      );
    });

    it('200k tiny messages within the size limit are 400', async () => {
      const body = JSON.stringify(
        valid({
          messages: Array.from({ length: 200_000 }, () => ({ role: 'user', content: 'x' })),
        }),
      );
      expect(Buffer.byteLength(body)).toBeLessThan(20 * MiB);
      const res = await post(body);
      const json = (await res.json()) as ErrorBody;
      expectClean(json, 400, res);
      expect(['too_many_values', 'invalid_value']).toContain(json.error.code);
    });
  });

  describe('row 20: lone surrogates and invalid UTF-8', () => {
    it('a lone surrogate escape is accepted and forwarded as a valid JSON escape', async () => {
      const res = await post(
        '{"model":"llama-4-scout","messages":[{"role":"user","content":"broken \\ud800 pair"}]}',
      );
      expect(res.status).toBe(200);
      const [sent] = sims[0].chatRequests();
      expect(sent.rawBody).toContain('broken \\ud800 pair');
      expect(() => JSON.parse(sent.rawBody) as unknown).not.toThrow();
    });

    it('invalid UTF-8 bytes are 400 invalid_json', async () => {
      const body = Buffer.concat([
        Buffer.from('{"model":"llama-4-scout","messages":[{"role":"user","content":"'),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('"}]}'),
      ]);
      await expectError(await post(body), 400, 'invalid_json', null);
    });
  });

  describe('row 21: client X-Request-Id', () => {
    it.each([
      ['over 128 characters', 'r'.repeat(129)],
      ['odd characters', 'id<script>alert(1)</script>'],
    ])('%s is replaced by a generated id, sent upstream in its place', async (_case, id) => {
      const res = await post(valid(), { 'x-request-id': id });
      expect(res.status).toBe(200);
      const served = res.headers.get('x-request-id');
      expect(served).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      expect(served).not.toBe(id);
      const [sent] = sims[0].chatRequests();
      expect(sent.headers['x-request-id']).toBe(served);
    });

    it('a CR inside the header is refused by Node with 400', async () => {
      const body = JSON.stringify(valid());
      const response = await raw(port, (write) =>
        write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_KEY}\r\n` +
            `X-Request-Id: abc\rX-Injected: 1\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        ),
      );
      expect(response).toMatch(/^HTTP\/1\.1 400 /);
      expect(response).not.toContain('X-Injected');
      expect(forwarded()).toBe(0);
    });
  });

  describe('row 22: hop-by-hop and spoofing headers', () => {
    it('the request is served and none of them reach the upstream', async () => {
      const body = JSON.stringify(valid());
      const response = await raw(port, (write) =>
        write(
          'POST /v1/chat/completions HTTP/1.1\r\nHost: spoofed.example\r\n' +
            `Authorization: Bearer ${CLIENT_KEY}\r\nContent-Type: application/json\r\n` +
            'Connection: close, X-Secret\r\nX-Secret: hop-secret\r\nKeep-Alive: timeout=99\r\n' +
            'TE: trailers\r\nUpgrade: h2c\r\nProxy-Authorization: Basic cHJveHk6c2VjcmV0\r\n' +
            'X-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6;host=evil.example\r\n' +
            `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        ),
      );
      expect(response).toMatch(/^HTTP\/1\.1 200 /);
      const [sent] = sims[0].chatRequests();
      const names = Object.keys(sent.headers).map((h) => h.toLowerCase());
      for (const hop of [
        'x-secret',
        'keep-alive',
        'te',
        'upgrade',
        'proxy-authorization',
        'x-forwarded-for',
        'forwarded',
      ]) {
        expect(names).not.toContain(hop);
      }
      expect(sent.headers.host).toBe(new URL(sims[0].origin).host);
      expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
      expect(JSON.stringify(sent.headers)).not.toContain(CLIENT_KEY);
      expect(JSON.stringify(sent.headers)).not.toContain('hop-secret');
    });
  });

  describe('row 23: wrong method or path', () => {
    it('GET /v1/chat/completions is 405 with Allow: POST and a JSON body', async () => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, { headers: auth });
      expect(res.headers.get('allow')).toBe('POST');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      await expectError(res, 405, 'method_not_allowed', null);
    });

    it.each(['/v1/chat/completion', '/v1/chat/completions/extra', '/v2/chat/completions'])(
      'POST %s is a JSON 404',
      async (path) => {
        const res = await fetch(`${gw.url}${path}`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(valid()),
        });
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        await expectError(res, 404, 'not_found');
      },
    );
  });

  describe('row 27: context over the window', () => {
    it('a prompt clearly over the window is 400 context_length_exceeded before any call', async () => {
      const body = valid({
        model: 'nano-banana',
        messages: [{ role: 'user', content: 'lorem ipsum '.repeat(40_000) }],
      });
      await expectError(await post(body), 400, 'context_length_exceeded', 'messages');
    });

    const tooLong = {
      error: {
        message: "This model's maximum context length is 8192 tokens.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    };

    it('an upstream 400 context_length_exceeded is not retried on hops no larger, and passed through when none is larger', async () => {
      // mistral-small-4: ollama-cloud then openrouter, both with the alias's 262,144 tokens.
      sims[1].setFault({ kind: 'status', status: 400, body: tooLong });
      const res = await post(valid({ model: 'mistral-small-4' }));
      expect(res.status).toBe(400);
      const json = (await res.json()) as ErrorBody;
      expect(json.error.code).toBe('context_length_exceeded');
      expect(JSON.stringify(json)).not.toContain(UPSTREAM_KEY);
      expect(sims.map((s) => s.chatRequests().length)).toEqual([0, 1, 0]);
    });

    it('an upstream 400 context_length_exceeded moves on to a hop with a larger window, counting no failure', async () => {
      // llama-4-scout: vLLM's build holds 65,536 tokens, the cloud hops 10 M.
      sims[0].setFault({ kind: 'status', status: 400, body: tooLong });
      const res = await post(valid());
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-backend')).toBe('ollama-cloud');
      expect(sims.map((s) => s.chatRequests().length)).toEqual([1, 1, 0]);
    });
  });
});
