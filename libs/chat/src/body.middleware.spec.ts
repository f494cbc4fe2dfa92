import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  Controller,
  HttpCode,
  MiddlewareConsumer,
  Module,
  NestModule,
  Post,
  Req,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Request } from 'express';
import { GATEWAY_CONFIG } from '@app/config';
import { ContractsModule } from '@app/contracts';
import {
  BODY_FORMS,
  BodyMiddleware,
  isJsonMediaType,
  parseJsonObject,
  type FormRoute,
} from './body.middleware';
import type { MultipartForm } from './multipart-form';
import { rawHttp } from '../../../test/support/raw-http';

const LIMIT = 64 * 1024;

@Controller()
class EchoController {
  @Post('echo')
  @HttpCode(200)
  echo(@Req() req: Request): unknown {
    return { body: req.body as unknown };
  }

  @Post('form')
  @HttpCode(200)
  form(@Req() req: Request): unknown {
    return { body: req.body as unknown };
  }
}

/** A form route that shows what the reader parsed: fields, then each file's name, type and bytes. */
const ECHO_FORM: FormRoute = {
  files: { count: 3, param: 'file' },
  toBody: (form: MultipartForm) => ({
    fields: form.fields,
    files: form.files.map(({ field, filename, mimeType, data }) => ({
      field,
      filename,
      mimeType,
      data: data.toString('latin1'),
    })),
  }),
  schema: { name: 'EchoForm', schema: {} },
};

@Module({
  imports: [ContractsModule],
  controllers: [EchoController],
  providers: [
    { provide: GATEWAY_CONFIG, useValue: { server: { body_limit_bytes: LIMIT } } },
    { provide: BODY_FORMS, useValue: new Map([['/form', ECHO_FORM]]) },
    BodyMiddleware,
  ],
})
class EchoModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(BodyMiddleware).forRoutes('echo', 'form');
  }
}

const raw = rawHttp;
const FORM_TYPE = 'multipart/form-data; boundary=b0undary';

function expectTooLarge(response: string): void {
  expect(response).toMatch(/^HTTP\/1\.1 413 /);
  expect(response.toLowerCase()).toContain('connection: close');
  expect(response).toContain('"code":"request_too_large"');
}

describe('BodyMiddleware (over HTTP)', () => {
  let app: INestApplication;
  let url: string;
  let port: number;

  beforeAll(async () => {
    app = await NestFactory.create(EchoModule, { bodyParser: false, logger: false });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}/echo`;
  });
  afterAll(() => app.close());

  /** Headers declaring a body far over the limit, and no body. */
  const declaredOversize = (path: string, type: string): Promise<string> =>
    raw(port, (write) =>
      write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n` +
          `Content-Length: ${10 * LIMIT}\r\n\r\n`,
      ),
    );

  /** `head`, then far more than the limit, never terminated: only a refusal can end it. */
  const endlessUpload = (path: string, type: string, head = ''): Promise<string> =>
    raw(port, (write) => {
      write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n` +
          'Transfer-Encoding: chunked\r\n\r\n',
      );
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      for (const piece of [Buffer.from(head), ...Array<Buffer>(64).fill(chunk)]) {
        if (piece.length > 0) {
          write(`${piece.length.toString(16)}\r\n`);
          write(piece);
          write('\r\n');
        }
      }
    });

  const post = (body: BodyInit, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  async function expectError(
    res: Response,
    status: number,
    code: string,
  ): Promise<{ message: string; param: string | null }> {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toEqual({
      message: expect.any(String),
      type: 'invalid_request_error',
      param: body.error.param === null ? null : expect.any(String),
      code,
    });
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+|SyntaxError|position \d/);
    return body.error as { message: string; param: string | null };
  }

  it('parses a JSON object into req.body', async () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'héllo 👋' }], top_k: 3 };
    const res = await post(JSON.stringify(body), {
      'content-type': 'application/json; charset=UTF-8',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body });
  });

  it('accepts a lone surrogate escape and re-serialises it as a valid escape (row 20)', async () => {
    const res = await post('{"text":"a\\ud800b"}');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"body":{"text":"a\\ud800b"}}');
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['a JSON-like type', 'application/json-patch+json'],
    ['a non-UTF-8 charset', 'application/json; charset=latin1'],
  ])('refuses %s with 415 (row 5)', async (_case, type) => {
    await expectError(await post('{}', { 'content-type': type }), 415, 'unsupported_media_type');
  });

  it('refuses a body without Content-Type with 415 (row 5)', async () => {
    const res = await fetch(url, { method: 'POST', body: new Blob(['{}']) });
    await expectError(res, 415, 'unsupported_media_type');
  });

  it.each(['gzip', 'deflate', 'br', 'GZIP', 'identity, gzip'])(
    'refuses Content-Encoding %s with 415 without inflating (row 6)',
    async (encoding) => {
      await expectError(
        await post('{}', { 'content-encoding': encoding }),
        415,
        'unsupported_media_type',
      );
    },
  );

  it('accepts Content-Encoding identity', async () => {
    expect((await post('{"a":1}', { 'content-encoding': 'identity' })).status).toBe(200);
  });

  it('lingers after a refusal: a client still uploading is closed cleanly, not reset', async () => {
    const size = 1024 * 1024;
    const outcome = await new Promise<{ response: string; error?: string }>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let response = '';
      let error: string | undefined;
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        if (response === '') {
          // The refusal came before the body: now upload it, as a client streaming a body would.
          socket.end(Buffer.alloc(size, 0x20));
        }
        response += chunk;
      });
      socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code));
      socket.on('close', () => resolve({ response, error }));
      socket.on('connect', () =>
        socket.write(
          `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${size}\r\n\r\n`,
        ),
      );
    });
    expect(outcome.response).toMatch(/^HTTP\/1\.1 415 /);
    expect(outcome.response.toLowerCase()).toContain('connection: close');
    expect(outcome.error).toBeUndefined();
  });

  describe('body over the limit (row 7)', () => {
    it('answers 413 to a declared Content-Length before any body byte is sent, and closes', async () => {
      expectTooLarge(await declaredOversize('/echo', 'application/json'));
    });

    it('answers 413 to a chunked body once it passes the limit, stops reading and closes', async () => {
      expectTooLarge(await endlessUpload('/echo', 'application/json'));
    });

    it('is received by fetch for a declared oversize body', async () => {
      const res = await post(Buffer.alloc(20 * LIMIT, 0x20));
      const error = await expectError(res, 413, 'request_too_large');
      expect(error.message).toContain(String(LIMIT));
    });

    it('is received by fetch for a streamed (chunked) oversize body', async () => {
      // Far past the limit: Node closing the socket mid-upload would surface as EPIPE in fetch.
      const piece = new Uint8Array(256 * 1024).fill(0x20);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 64) {
            controller.enqueue(piece);
          } else {
            controller.close();
          }
        },
      });
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      await expectError(res, 413, 'request_too_large');
    });

    it('accepts a body of exactly the limit', async () => {
      const text = JSON.stringify({ pad: '' });
      const body = JSON.stringify({ pad: 'x'.repeat(LIMIT - text.length) });
      expect(Buffer.byteLength(body)).toBe(LIMIT);
      expect((await post(body)).status).toBe(200);
    });
  });

  it.each([
    ['truncated', '{"model":"m","messages":['],
    ['a trailing comma', '{"model":"m",}'],
    ['a BOM', '\uFEFF{"model":"m"}'],
    ['whitespace only', ' \n\t '],
    ['an empty body', ''],
    ['single quotes', "{'model':'m'}"],
  ])('refuses %s with 400 invalid_json and no parser internals (row 9)', async (_case, body) => {
    const error = await expectError(await post(body), 400, 'invalid_json');
    expect(error.message).toBe('The request body is not valid JSON.');
  });

  it('refuses invalid UTF-8 bytes with 400 invalid_json (row 20)', async () => {
    const body = Buffer.concat([
      Buffer.from('{"text":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    await expectError(await post(body), 400, 'invalid_json');
  });

  it.each([['[]'], ['"x"'], ['null'], ['1']])(
    'refuses the non-object %s with 400 invalid_request_error (row 10)',
    async (body) => {
      await expectError(await post(body), 400, 'invalid_request_error');
    },
  );

  it.each([
    ['top-level __proto__', '{"__proto__":{"polluted":true}}', '__proto__'],
    ['nested __proto__', '{"a":[{"b":{"__proto__":{"polluted":true}}}]}', 'a[0].b.__proto__'],
    ['constructor.prototype', '{"constructor":{"prototype":{"polluted":true}}}', 'constructor'],
    ['prototype', '{"metadata":{"prototype":{"polluted":true}}}', 'metadata.prototype'],
  ])('refuses %s with 400 and pollutes nothing (row 11)', async (_case, body, param) => {
    const error = await expectError(await post(body), 400, 'forbidden_key');
    expect(error.param).toBe(param);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('refuses nesting deeper than 32 levels with 400 (row 19)', async () => {
    const deep = `${'{"a":'.repeat(32)}{}${'}'.repeat(32)}`;
    await expectError(await post(deep), 400, 'nesting_too_deep');
    const ok = `${'{"a":'.repeat(31)}{}${'}'.repeat(31)}`;
    expect((await post(ok)).status).toBe(200);
  });

  describe('multipart/form-data on a form route', () => {
    const formUrl = (): string => url.replace(/\/echo$/, '/form');
    const send = (form: FormData): Promise<Response> =>
      fetch(formUrl(), { method: 'POST', body: form });

    it('reads text fields and files in order, each file with its declared type', async () => {
      const form = new FormData();
      form.append('prompt', 'héllo 👋');
      form.append('image[]', new Blob(['one'], { type: 'image/png' }), 'a.png');
      form.append('n', '1');
      form.append('image[]', new Blob(['two']), 'b.bin');
      const res = await send(form);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        body: {
          fields: [
            { name: 'prompt', value: 'héllo 👋' },
            { name: 'n', value: '1' },
          ],
          files: [
            { field: 'image[]', filename: 'a.png', mimeType: 'image/png', data: 'one' },
            {
              field: 'image[]',
              filename: 'b.bin',
              mimeType: 'application/octet-stream',
              data: 'two',
            },
          ],
        },
      });
    });

    it('still takes JSON there, and names both media types when it refuses another', async () => {
      const json = await fetch(formUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      expect(await json.json()).toEqual({ body: { a: 1 } });
      const other = await fetch(formUrl(), {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      });
      const error = await expectError(other, 415, 'unsupported_media_type');
      expect(error.message).toMatch(/multipart\/form-data/);
    });

    it('answers 415 to a form on a route that takes JSON only (row 5)', async () => {
      const form = new FormData();
      form.append('a', '1');
      const error = await expectError(
        await fetch(url, { method: 'POST', body: form }),
        415,
        'unsupported_media_type',
      );
      expect(error.message).not.toMatch(/multipart/);
    });

    it('refuses more files than the route takes, naming its file field', async () => {
      const form = new FormData();
      for (let i = 0; i < 4; i++) {
        form.append('file', new Blob(['x']), `${i}.png`);
      }
      const error = await expectError(await send(form), 400, 'invalid_value');
      expect(error.param).toBe('file');
    });

    it.each([
      [
        'no boundary',
        'multipart/form-data',
        '--b0undary\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b0undary--\r\n',
      ],
      [
        'a body cut short',
        FORM_TYPE,
        '--b0undary\r\nContent-Disposition: form-data; name="a"\r\n\r\n1',
      ],
      ['a part without headers', FORM_TYPE, '--b0undary\r\n\r\n'],
    ])('refuses a malformed form (%s) with 400 invalid_multipart', async (_case, type, body) => {
      await expectError(
        await fetch(formUrl(), { method: 'POST', headers: { 'content-type': type }, body }),
        400,
        'invalid_multipart',
      );
    });

    it.each(['__proto__', 'constructor'])(
      'refuses the part name %s with 400 forbidden_key (row 11)',
      async (name) => {
        const form = new FormData();
        form.append(name, '{"polluted":true}');
        const error = await expectError(await send(form), 400, 'forbidden_key');
        expect(error.param).toBe(name);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      },
    );

    it('answers 413 to a declared oversize form before reading it, and closes', async () => {
      expectTooLarge(await declaredOversize('/form', FORM_TYPE));
    });

    it('answers 413 to a chunked form once it passes the limit, without reading the rest', async () => {
      const head =
        '--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n' +
        'Content-Type: image/png\r\n\r\n';
      expectTooLarge(await endlessUpload('/form', FORM_TYPE, head));
    });
  });
});

describe('parseJsonObject', () => {
  it('counts depth from the root object', () => {
    expect(() =>
      parseJsonObject(Buffer.from(`{"a":${'['.repeat(31)}${']'.repeat(31)}}`)),
    ).not.toThrow();
    expect(() => parseJsonObject(Buffer.from(`{"a":${'['.repeat(32)}${']'.repeat(32)}}`))).toThrow(
      expect.objectContaining({ code: 'nesting_too_deep' }),
    );
  });

  it('survives a document nested far beyond the stack depth', () => {
    const deep = Buffer.from(`${'['.repeat(500_000)}${']'.repeat(500_000)}`);
    expect(() => parseJsonObject(deep)).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('rejects prototype keys whatever the nesting, leaving Object.prototype alone', () => {
    expect(() =>
      parseJsonObject(Buffer.from('{"x":{"y":[1,{"__proto__":{"polluted":1}}]}}')),
    ).toThrow(expect.objectContaining({ code: 'forbidden_key', param: 'x.y[1].__proto__' }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['{"top_k":1e309}', 'top_k'],
    ['{"metadata":{"deep":[1,-1e400]}}', 'metadata.deep[1]'],
    ['{"temperature":1e309}', 'temperature'],
  ])('refuses %s: a number beyond the double range parses to Infinity', (raw, param) => {
    expect(() => parseJsonObject(Buffer.from(raw))).toThrow(
      expect.objectContaining({ code: 'invalid_value', param }),
    );
  });
});

describe('isJsonMediaType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON', true],
    ['application/json; charset=utf-8', true],
    ['application/json;charset="UTF-8"', true],
    ['application/json; charset=utf-16', false],
    ['application/jsonx', false],
    ['text/json', false],
    [undefined, false],
  ])('%s → %s', (header, expected) => {
    expect(isJsonMediaType(header)).toBe(expected);
  });
});
