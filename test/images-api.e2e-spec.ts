import OpenAI from 'openai';
import { TINY_PNG_DATA_URI } from '@app/contracts';
import type { FakeBackends } from './support/backends';
import { restoreHealth, startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { CLIENT_KEY, type RunningGateway } from './support/gateway';

const PNG_BASE64 = /^iVBORw0KGgo/;

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

    it('a multipart upload (the SDK images.edit form): 415', async () => {
      const error = await client.images
        .edit({
          model: 'nano-banana',
          prompt: 'blue',
          image: await OpenAI.toFile(
            Buffer.from(TINY_PNG_DATA_URI.split(',')[1], 'base64'),
            'a.png',
            {
              type: 'image/png',
            },
          ),
        })
        .catch((err: unknown) => err);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(415);
    });
  });
});
