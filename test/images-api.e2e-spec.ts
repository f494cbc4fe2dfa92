import type { AddressInfo } from 'node:net';
import OpenAI, { toFile } from 'openai';
import { TINY_PNG_DATA_URI } from '@app/contracts';
import type { FakeBackends } from './support/backends';
import { restoreHealth, startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { CLIENT_KEY, type RunningGateway } from './support/gateway';
import { rawHttp } from './support/raw-http';

const PNG_BASE64 = /^iVBORw0KGgo/;
const PNG = Buffer.from(TINY_PNG_DATA_URI.split(',')[1], 'base64');
const MiB = 1024 * 1024;

describe('POST /v1/images/* with the official openai SDK (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  let client: OpenAI;
  const upstreamCalls = (): number => fakes.all().reduce((n, s) => n + s.chatRequests().length, 0);
  const post = (path: string, body: unknown, type = 'application/json'): Promise<Response> =>
    fetch(`${gw.url}/v1/images/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes());
    client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));
  beforeEach(() => restoreHealth({ fakes, gw }));

  it('generates an image as data[0].b64_json, typed, from one chat call to the image model', async () => {
    const { data: images, response } = await client.images
      .generate({
        model: 'nano-banana',
        prompt: 'A red fox in the snow',
        size: '1024x1024',
        quality: 'high',
      })
      .withResponse();
    expect(response.headers.get('x-gateway-model')).toBe('nano-banana');
    expect(images.data).toHaveLength(1);
    const b64: string | undefined = images.data?.[0].b64_json;
    expect(b64).toMatch(PNG_BASE64);
    expect(
      Buffer.from(b64 ?? '', 'base64')
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect(images.output_format).toBe('png');
    expect(images.usage?.total_tokens).toBeGreaterThan(0);
    expect(fakes.openrouter.chatRequests().at(-1)?.body).toEqual({
      model: 'google/gemini-3.1-flash-image-preview',
      messages: [{ role: 'user', content: 'A red fox in the snow' }],
      image_config: { size: '1024x1024', quality: 'high' },
      modalities: ['image', 'text'],
    });
  });

  it('image-gen falls back to gpt-image on a hard failure of nano-banana', async () => {
    fakes.openrouter.setFault({ kind: 'status', status: 503, times: 1 });
    const { data: images, response } = await client.images
      .generate({ model: 'image-gen', prompt: 'a lighthouse' })
      .withResponse();
    expect(images.data?.[0].b64_json).toMatch(PNG_BASE64);
    expect(response.headers.get('x-gateway-model')).toBe('gpt-image');
    const [first, second] = fakes.openrouter.chatRequests().slice(-2);
    expect(first.body).toMatchObject({ model: 'google/gemini-3.1-flash-image-preview' });
    expect(second.body).toMatchObject({ model: 'openai/gpt-5.4-image-2' });
  });

  it('edits with base64 input images sent after the prompt', async () => {
    const res = await post('edits', {
      model: 'nano-banana',
      prompt: 'Make it blue',
      images: [{ image_url: TINY_PNG_DATA_URI }],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ b64_json: string }> };
    expect(body.data[0].b64_json).toMatch(PNG_BASE64);
    expect(fakes.openrouter.chatRequests().at(-1)?.body).toMatchObject({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Make it blue' },
            { type: 'image_url', image_url: { url: TINY_PNG_DATA_URI } },
          ],
        },
      ],
    });
  });

  describe('refuses clearly, before any upstream call', () => {
    const refusals: Array<
      [string, string, Record<string, unknown>, number, string | null, string]
    > = [
      [
        'response_format url',
        'generations',
        { response_format: 'url' },
        400,
        'response_format',
        'unsupported_value',
      ],
      ['n beyond one image', 'generations', { n: 2 }, 400, 'n', 'unsupported_value'],
      ['a streamed image', 'generations', { stream: true }, 400, 'stream', 'unsupported_value'],
      [
        'a text-only model',
        'generations',
        { model: 'llama-4-scout' },
        400,
        'model',
        'model_not_image_capable',
      ],
      ['an unknown model', 'generations', { model: 'dall-e-3' }, 404, 'model', 'model_not_found'],
      [
        'a missing prompt',
        'generations',
        { prompt: undefined },
        400,
        'prompt',
        'missing_required_parameter',
      ],
      [
        'an unknown field',
        'generations',
        { style: 'vivid' },
        400,
        'style',
        'unsupported_parameter',
      ],
      [
        'an https input image',
        'edits',
        { images: [{ image_url: 'https://example.com/a.png' }] },
        400,
        'images[0].image_url',
        'image_url_not_supported',
      ],
      [
        'a mask',
        'edits',
        { images: [{ image_url: TINY_PNG_DATA_URI }], mask: 'x' },
        400,
        'mask',
        'unsupported_parameter',
      ],
    ];
    it.each(refusals)('%s', async (_name, path, extra, status, param, code) => {
      const before = upstreamCalls();
      const res = await post(path, { model: 'nano-banana', prompt: 'a cat', ...extra });
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { param: string | null; code: string } };
      expect(body.error).toMatchObject({ param, code });
      expect(upstreamCalls()).toBe(before);
    });
  });

  describe("as multipart/form-data, from the SDK's images.edit", () => {
    const png = (name = 'in.png', type: string | undefined = 'image/png') =>
      toFile(PNG, name, type === undefined ? undefined : { type });
    /** A form as `fetch` sends it: for what the SDK's types do not let a caller send. */
    const postForm = (fill: (form: FormData) => void, path = 'edits'): Promise<Response> => {
      const form = new FormData();
      fill(form);
      return fetch(`${gw.url}/v1/images/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}` },
        body: form,
      });
    };
    const expectRefusal = async (
      res: Response,
      status: number,
      param: string | null,
      code: string,
    ): Promise<void> => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ type: 'invalid_request_error', param, code });
    };

    it('edits an uploaded PNG: typed b64_json back, the image as a data URI after the prompt upstream', async () => {
      const { data: images, response } = await client.images
        .edit({
          model: 'nano-banana',
          image: await png(),
          prompt: 'Make it blue',
          size: '1024x1024',
          quality: 'high',
          n: 1,
        })
        .withResponse();
      expect(response.status).toBe(200);
      expect(response.headers.get('x-gateway-model')).toBe('nano-banana');
      const b64: string | undefined = images.data?.[0].b64_json;
      expect(b64).toMatch(PNG_BASE64);
      expect(images.usage?.total_tokens).toBeGreaterThan(0);
      expect(fakes.openrouter.chatRequests().at(-1)?.body).toEqual({
        model: 'google/gemini-3.1-flash-image-preview',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Make it blue' },
              { type: 'image_url', image_url: { url: TINY_PNG_DATA_URI } },
            ],
          },
        ],
        image_config: { size: '1024x1024', quality: 'high' },
        modalities: ['image', 'text'],
      });
    });

    it('sends several images (image[]) in order; an untyped upload is typed by its bytes', async () => {
      const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
      const images = await client.images.edit({
        model: 'nano-banana',
        image: [await png('a.png', undefined), await toFile(jpeg, 'b.jpg', { type: 'image/jpeg' })],
        prompt: 'Put both in one picture',
      });
      expect(images.data?.[0].b64_json).toMatch(PNG_BASE64);
      const content = (
        fakes.openrouter.chatRequests().at(-1)?.body as { messages: Array<{ content: unknown }> }
      ).messages[0].content;
      expect(content).toEqual([
        { type: 'text', text: 'Put both in one picture' },
        { type: 'image_url', image_url: { url: TINY_PNG_DATA_URI } },
        {
          type: 'image_url',
          image_url: { url: `data:image/jpeg;base64,${jpeg.toString('base64')}` },
        },
      ]);
    });

    it('is the same on the Express route (the path spelled otherwise) as on the front door', async () => {
      const res = await postForm((form) => {
        form.append('model', 'nano-banana');
        form.append('prompt', 'Make it green');
        form.append('image', new Blob([PNG], { type: 'image/png' }), 'in.png');
      }, 'Edits/');
      expect(res.status).toBe(200);
      expect(fakes.openrouter.chatRequests().at(-1)?.body).toMatchObject({
        messages: [
          { content: [{ text: 'Make it green' }, { image_url: { url: TINY_PNG_DATA_URI } }] },
        ],
      });
    });

    it('routes like the JSON form: image-gen falls back to gpt-image on a hard failure', async () => {
      fakes.openrouter.setFault({ kind: 'status', status: 503, times: 1 });
      const { data: images, response } = await client.images
        .edit({ model: 'image-gen', image: await png(), prompt: 'a lighthouse at dusk' })
        .withResponse();
      expect(images.data?.[0].b64_json).toMatch(PNG_BASE64);
      expect(response.headers.get('x-gateway-model')).toBe('gpt-image');
      const [first, second] = fakes.openrouter.chatRequests().slice(-2);
      expect(first.body).toMatchObject({ model: 'google/gemini-3.1-flash-image-preview' });
      expect(second.body).toMatchObject({
        model: 'openai/gpt-5.4-image-2',
        messages: [{ content: [{ type: 'text' }, { image_url: { url: TINY_PNG_DATA_URI } }] }],
      });
    });

    describe('refuses clearly, before any upstream call', () => {
      let before: number;
      beforeEach(() => {
        before = upstreamCalls();
      });
      afterEach(() => {
        expect(upstreamCalls()).toBe(before);
      });

      it.each<[string, Record<string, unknown>, string, string]>([
        ['n beyond one image', { n: 2 }, 'n', 'unsupported_value'],
        ['response_format url', { response_format: 'url' }, 'response_format', 'unsupported_value'],
        [
          'a field the gateway does not offer',
          { input_fidelity: 'high' },
          'input_fidelity',
          'unsupported_parameter',
        ],
      ])('%s, through the SDK', async (_case, extra, param, code) => {
        const error = (await client.images
          .edit({ model: 'nano-banana', image: await png(), prompt: 'blue', ...extra })
          .catch((err: unknown) => err)) as InstanceType<typeof OpenAI.APIError>;
        expect(error).toBeInstanceOf(OpenAI.BadRequestError);
        expect(error.status).toBe(400);
        expect({ param: error.param, code: error.code }).toEqual({ param, code });
      });

      it('a mask, through the SDK', async () => {
        const error = (await client.images
          .edit({
            model: 'nano-banana',
            image: await png(),
            mask: await png('mask.png'),
            prompt: 'x',
          })
          .catch((err: unknown) => err)) as InstanceType<typeof OpenAI.APIError>;
        expect({ status: error.status, param: error.param, code: error.code }).toEqual({
          status: 400,
          param: 'mask',
          code: 'unsupported_parameter',
        });
      });

      it('a missing prompt', async () => {
        const res = await postForm((form) => {
          form.append('model', 'nano-banana');
          form.append('image', new Blob([PNG], { type: 'image/png' }), 'in.png');
        });
        await expectRefusal(res, 400, 'prompt', 'missing_required_parameter');
      });

      it('a missing image', async () => {
        const res = await postForm((form) => {
          form.append('model', 'nano-banana');
          form.append('prompt', 'blue');
        });
        await expectRefusal(res, 400, 'image', 'missing_required_parameter');
      });

      it.each<[string, Blob, string]>([
        ['a non-image file', new Blob(['just some text'], { type: 'text/plain' }), 'notes.txt'],
        [
          'a non-raster image type',
          new Blob(['<svg xmlns="http://www.w3.org/2000/svg"/>'], { type: 'image/svg+xml' }),
          'a.svg',
        ],
        [
          'bytes that are not the declared image',
          new Blob(['not a png'], { type: 'image/png' }),
          'fake.png',
        ],
        ['untyped bytes that are no image', new Blob(['%PDF-1.7']), 'doc.pdf'],
      ])('%s', async (_case, blob, name) => {
        const res = await postForm((form) => {
          form.append('model', 'nano-banana');
          form.append('prompt', 'blue');
          form.append('image', blob, name);
        });
        await expectRefusal(res, 400, 'image', 'invalid_image_data');
      });

      it('more than 16 images', async () => {
        const res = await postForm((form) => {
          form.append('model', 'nano-banana');
          form.append('prompt', 'blue');
          for (let i = 0; i < 17; i++) {
            form.append('image[]', new Blob([PNG], { type: 'image/png' }), `${i}.png`);
          }
        });
        await expectRefusal(res, 400, 'image', 'invalid_value');
      });

      it('a prompt field over 128 KiB', async () => {
        const res = await postForm((form) => {
          form.append('model', 'nano-banana');
          form.append('prompt', 'x'.repeat(129 * 1024));
          form.append('image', new Blob([PNG], { type: 'image/png' }), 'in.png');
        });
        await expectRefusal(res, 400, 'prompt', 'invalid_value');
      });

      it('a form on the generations route: 415, which takes JSON only', async () => {
        const res = await postForm((form) => {
          form.append('model', 'nano-banana');
          form.append('prompt', 'blue');
        }, 'generations');
        expect(res.status).toBe(415);
      });

      it('a text/plain body on the edits route: 415 naming both forms', async () => {
        const res = await fetch(`${gw.url}/v1/images/edits`, {
          method: 'POST',
          headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'text/plain' },
          body: 'blue',
        });
        expect(res.status).toBe(415);
        const body = (await res.json()) as { error: { message: string; code: string } };
        expect(body.error.code).toBe('unsupported_media_type');
        expect(body.error.message).toMatch(/application\/json.*multipart\/form-data/);
      });

      it('a form over the body limit (20 MiB): 413 while it uploads, never read to its end', async () => {
        const port = (gw.server.address() as AddressInfo).port;
        const chunk = Buffer.alloc(256 * 1024, 0x61);
        let sent = 0;
        const response = await rawHttp(port, (write) => {
          write(
            `POST /v1/images/edits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_KEY}\r\n` +
              'Content-Type: multipart/form-data; boundary=b0undary\r\nTransfer-Encoding: chunked\r\n\r\n',
          );
          const head = Buffer.from(
            '--b0undary\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nblue\r\n' +
              '--b0undary\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n' +
              'Content-Type: image/png\r\n\r\n',
          );
          write(`${head.length.toString(16)}\r\n`);
          write(head);
          write('\r\n');
          // 24 MiB of one file and no closing boundary or last chunk: only the limit can end it.
          for (let i = 0; i < 96; i++) {
            write(`${chunk.length.toString(16)}\r\n`);
            write(chunk);
            write('\r\n');
            sent += chunk.length;
          }
        });
        expect(sent).toBeGreaterThan(20 * MiB);
        expect(response).toMatch(/^HTTP\/1\.1 413 /);
        expect(response.toLowerCase()).toContain('connection: close');
        expect(response).toContain('"code":"request_too_large"');
      });

      it('a form declaring a length over the limit: 413 before any body byte', async () => {
        const port = (gw.server.address() as AddressInfo).port;
        const response = await rawHttp(port, (write) =>
          write(
            `POST /v1/images/edits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_KEY}\r\n` +
              `Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: ${21 * MiB}\r\n\r\n`,
          ),
        );
        expect(response).toMatch(/^HTTP\/1\.1 413 /);
        expect(response).toContain('"code":"request_too_large"');
      });
    });
  });
});
