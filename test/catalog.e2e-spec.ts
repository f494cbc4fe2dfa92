import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { auth, startGateway, type RunningGateway } from './support/gateway';
import {
  CHAT_REQUEST_SCHEMA_NAME,
  CREATE_CHAT_COMPLETION_REQUEST_SCHEMA,
  toComponentSchemas,
} from '@app/contracts';

describe('catalog, auth and OpenAPI (e2e)', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it('GET /v1/info lists every alias with the seed figures and every backend with a status', async () => {
    const res = await request(gw.url).get('/v1/info').set(auth).expect(200);
    expect(res.headers['x-request-id']).toBeDefined();
    const models = res.body.models as Array<Record<string, any>>;
    expect(models.map((m) => m.alias)).toEqual([
      'llama-4-scout',
      'mistral-small-4',
      'qwen3-vl-30b-thinking',
      'qwen3-vl-30b-instruct',
      'gemma-4-31b',
      'flagship',
      'gpt-5.5-pro',
      'claude-opus-4.7',
      'gemini-3.1-pro',
      'grok-4.20',
      'nano-banana',
      'gpt-image',
      'image-gen',
    ]);
    expect(models.map((m) => m.constraints.typical_response_seconds)).toEqual([
      8, 5, 12, 5, 5, 8, 8, 5, 5, 3, 15, 150, 15,
    ]);
    expect(models.map((m) => m.constraints.min_max_tokens)).toEqual([
      null,
      null,
      null,
      null,
      null,
      200,
      200,
      null,
      200,
      null,
      null,
      16,
      null,
    ]);
    expect(models.every((m) => m.constraints.accepts_image_url === false)).toBe(true);
    const rounded = models.map((m) => {
      const n = m.context_window as number;
      return n >= 1_000_000 ? `${Math.round(n / 10_000) / 100} M` : `${Math.round(n / 1000)} K`;
    });
    expect(rounded).toEqual([
      '10 M',
      '262 K',
      '131 K',
      '131 K',
      '262 K',
      '1.05 M',
      '1.05 M',
      '1 M',
      '1.05 M',
      '2 M',
      '66 K',
      '272 K',
      '66 K',
    ]);
    expect(models.filter((m) => m.modalities.input.includes('audio')).map((m) => m.alias)).toEqual([
      'gemini-3.1-pro',
    ]);
    // Per-hop facts: the DGX's vLLM build holds 65,536 tokens, and only the cloud hops send data out.
    expect(models[0].routing).toEqual([
      {
        backend: 'vllm',
        model: 'RedHatAI/Llama-4-Scout-17B-16E-Instruct-quantized.w4a16',
        context_window: 65536,
        data_leaves_dgx: false,
      },
      {
        backend: 'ollama-cloud',
        model: 'llama4:scout',
        context_window: 10000000,
        data_leaves_dgx: true,
      },
      {
        backend: 'openrouter',
        model: 'meta-llama/llama-4-scout',
        context_window: 10000000,
        data_leaves_dgx: true,
      },
    ]);
    // No alias claims to keep data on the DGX while a hop sends it out.
    for (const m of models) {
      const hops = m.routing.filter((h: { backend?: string }) => h.backend !== undefined);
      if (m.licensing.data_leaves_dgx === false) {
        expect(hops.every((h: { data_leaves_dgx: boolean }) => !h.data_leaves_dgx)).toBe(true);
      }
    }
    expect(models.find((m) => m.alias === 'gpt-5.5-pro')?.routing[0].unsupported_params).toEqual({
      logit_bias: 'drop',
      logprobs: 'refuse',
      top_logprobs: 'refuse',
    });
    expect(models.find((m) => m.alias === 'image-gen')?.routing).toEqual([
      { alias: 'nano-banana' },
      { alias: 'gpt-image' },
    ]);
    expect(models[0]).toEqual(
      expect.objectContaining({
        family: 'Meta Llama 4',
        tools: true,
        reasoning: false,
        licensing: expect.objectContaining({ data_leaves_dgx: 'on_fallback' }),
      }),
    );
    expect(res.body.backends.map((b: any) => [b.name, b.kind])).toEqual([
      ['vllm', 'local'],
      ['ollama-cloud', 'cloud'],
      ['openrouter', 'cloud'],
    ]);
    for (const b of res.body.backends) {
      expect(['available', 'unreachable', 'benched', 'not_configured', 'unknown']).toContain(
        b.status,
      );
    }
    expect(JSON.stringify(res.body)).not.toMatch(/https?:\/\/|api_key/);
  });

  it('answers the seed jq projection shape', async () => {
    const res = await request(gw.url).get('/v1/info').set(auth).expect(200);
    const gpt = res.body.models.find((m: any) => m.alias === 'gpt-5.5-pro');
    expect({
      alias: gpt.alias,
      family: gpt.family,
      context_window: gpt.context_window,
      tools: gpt.tools,
      constraints: gpt.constraints,
    }).toEqual({
      alias: 'gpt-5.5-pro',
      family: 'OpenAI GPT-5.5',
      context_window: 1050000,
      tools: true,
      constraints: { min_max_tokens: 200, accepts_image_url: false, typical_response_seconds: 8 },
    });
  });

  it('GET /v1/models is the OpenAI list format, and a single model can be retrieved', async () => {
    const res = await request(gw.url).get('/v1/models').set(auth).expect(200);
    expect(res.body.object).toBe('list');
    expect(res.body.data).toHaveLength(13);
    expect(res.body.data[0]).toEqual({
      id: 'llama-4-scout',
      object: 'model',
      created: expect.any(Number),
      owned_by: 'Meta Llama 4',
    });
    await request(gw.url).get('/v1/models/gpt-image').set(auth).expect(200);
    const missing = await request(gw.url).get('/v1/models/gpt-9').set(auth).expect(404);
    expect(missing.body.error).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it.each(['/v1/info', '/v1/models'])(
    '%s without a key is a 401 envelope with WWW-Authenticate',
    async (path) => {
      const res = await request(gw.url).get(path).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toEqual({
        error: {
          message: expect.any(String),
          type: 'authentication_error',
          param: null,
          code: 'missing_api_key',
        },
      });
      const wrong = await request(gw.url)
        .get(path)
        .set('Authorization', 'Bearer sk-wrong')
        .expect(401);
      expect(wrong.body.error.code).toBe('invalid_api_key');
      expect(wrong.headers['www-authenticate']).toBe('Bearer');
    },
  );

  it('authenticates before reading a body: no key and a bad body is a 401, not a 415', async () => {
    const res = await request(gw.url)
      .post('/v1/chat/completions')
      .set('Content-Type', 'text/plain')
      .send('x'.repeat(1024))
      .expect(401);
    expect(res.body.error.code).toBe('missing_api_key');
  });

  it('unknown paths and wrong methods get JSON envelopes, not HTML', async () => {
    const missing = await request(gw.url).get('/v1/nope').set(auth).expect(404);
    expect(missing.body.error.code).toBe('not_found');
    const wrongMethod = await request(gw.url).post('/v1/info').set(auth).expect(405);
    expect(wrongMethod.headers.allow).toBe('GET');
    expect(wrongMethod.body.error.code).toBe('method_not_allowed');
  });

  it('replaces an odd client x-request-id and keeps a good one', async () => {
    const good = await request(gw.url)
      .get('/v1/models')
      .set(auth)
      .set('x-request-id', 'client-req.42')
      .expect(200);
    expect(good.headers['x-request-id']).toBe('client-req.42');
    const odd = await request(gw.url)
      .get('/v1/models')
      .set(auth)
      .set('x-request-id', 'x'.repeat(200))
      .expect(200);
    expect(odd.headers['x-request-id']).not.toContain('xxxx');
  });

  it('serves a valid OpenAPI 3 document (JSON and YAML) with Bearer security and error schemas, and Swagger UI', async () => {
    const res = await request(gw.url).get('/docs-json').expect(200);
    const doc = res.body;
    await SwaggerParser.validate(structuredClone(doc));
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v1/info'].get.responses['401'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ErrorResponse',
    );
    expect(doc.paths['/v1/info'].get.security).toEqual([{ bearer: [] }]);
    expect(JSON.stringify(doc)).not.toContain('sk-e2e-client');
    // The request schema is published exactly as the gateway validates it.
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas).toMatchObject(
      toComponentSchemas(CHAT_REQUEST_SCHEMA_NAME, CREATE_CHAT_COMPLETION_REQUEST_SCHEMA),
    );
    expect(
      doc.paths['/v1/chat/completions'].post.requestBody.content['application/json'].schema,
    ).toEqual({ $ref: `#/components/schemas/${CHAT_REQUEST_SCHEMA_NAME}` });
    await request(gw.url).get('/docs-yaml').expect(200).expect('content-type', /yaml/);
    await request(gw.url).get('/docs').expect(200).expect('content-type', /html/);
  });
});
