import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { parse as parseYaml } from 'yaml';
import { GATEWAY_ERROR_CODES } from '@app/contracts';
import type { FakeBackends } from './support/backends';
import { startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { auth, CLIENT_KEY, type RunningGateway } from './support/gateway';
import { PublishedSchemas } from './support/schema-arbitrary';

const run = promisify(execFile);

type Json = Record<string, any>;

const OPERATIONS = ['get', 'post', 'put', 'delete', 'patch'];

function operations(doc: Json): Array<[string, string, Json]> {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => OPERATIONS.includes(method))
      .map(([method, op]) => [path, method, op as Json] as [string, string, Json]),
  );
}

describe('the OpenAPI document (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  let doc: Json;

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes());
    doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as Json;
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));

  it('is served the same at /openapi.json, /openapi.yaml, /docs-json and /docs-yaml, and holds no secret', async () => {
    const yaml = await fetch(`${gw.url}/openapi.yaml`);
    expect(yaml.headers.get('content-type')).toMatch(/yaml/);
    expect(parseYaml(await yaml.text())).toEqual(doc);
    expect(await (await fetch(`${gw.url}/docs-json`)).json()).toEqual(doc);
    expect(parseYaml(await (await fetch(`${gw.url}/docs-yaml`)).text())).toEqual(doc);
    expect(JSON.stringify(doc)).not.toContain(CLIENT_KEY);
    for (const key of Object.values(fakes.env)) {
      if (!key.startsWith('http')) {
        expect(JSON.stringify(doc)).not.toContain(key);
      }
    }
  });

  it('is a valid OpenAPI 3.1 document (swagger-parser)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('passes Spectral (spectral:oas) with no error, warning, info or hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spectral-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      const out = join(dir, 'out.json');
      await run(
        'node_modules/.bin/spectral',
        [
          'lint',
          file,
          '--ruleset',
          '.spectral.yaml',
          '-f',
          'json',
          '-o',
          out,
          '--fail-severity',
          'hint',
        ],
        { timeout: 60_000 },
      ).catch(() => undefined);
      const problems = JSON.parse(readFileSync(out, 'utf8')) as Array<{
        code: string;
        path: string[];
      }>;
      expect(problems.map((p) => `${p.code} at ${p.path.join('.')}`)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("passes Redocly's recommended rules with no error or warning", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redocly-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      const out = await run(
        'node_modules/.bin/redocly',
        ['lint', file, '--extends', 'recommended', '--format', 'json'],
        { timeout: 60_000 },
      ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
      const report = JSON.parse(out.stdout.slice(out.stdout.indexOf('{'))) as {
        problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }>;
      };
      expect(
        report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`),
      ).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('names things as a generated client would want: no Dto, OpenAI-style operation ids, declared tags, an opaque bearer key, a relative server', () => {
    expect(Object.keys(doc.components.schemas).filter((n) => /Dto$/.test(n))).toEqual([]);
    expect(doc.components.schemas).toHaveProperty('CreateChatCompletionResponse');
    expect(doc.components.schemas).toHaveProperty('CreateChatCompletionStreamResponse');
    expect(doc.components.schemas).toHaveProperty('ErrorResponse');
    const ids = Object.fromEntries(
      operations(doc).map(([p, m, op]) => [`${m} ${p}`, op.operationId]),
    );
    expect(ids).toMatchObject({
      'post /v1/chat/completions': 'createChatCompletion',
      'get /v1/models': 'listModels',
      'get /v1/models/{model}': 'retrieveModel',
      'get /v1/info': 'getModelCatalog',
      'get /healthz': 'getLiveness',
      'get /readyz': 'getReadiness',
    });
    for (const id of Object.values(ids)) {
      expect(id).toMatch(/^[a-z][A-Za-z0-9]*$/);
    }
    const used = new Set(operations(doc).flatMap(([, , op]) => op.tags as string[]));
    expect(new Set(doc.tags.map((t: Json) => t.name))).toEqual(used);
    for (const tag of doc.tags) {
      expect(tag.description).toBeTruthy();
    }
    expect(doc.components.securitySchemes.bearer).toEqual({
      type: 'http',
      scheme: 'bearer',
      description: expect.any(String),
    });
    expect(doc.servers).toEqual([{ url: '.', description: expect.any(String) }]);
  });

  it('types integers as integer and keeps null where the API sends it', () => {
    const s = doc.components.schemas;
    expect(s.CreateChatCompletionResponse.properties.created.type).toBe('integer');
    expect(s.CompletionUsage.properties.total_tokens.type).toBe('integer');
    expect(s.ChatCompletionChoice.properties.finish_reason.type).toEqual(['string', 'null']);
    expect(s.ChatCompletionChoice.properties.finish_reason.enum).toContain(null);
    expect(s.ChatCompletionStreamChoice.properties.finish_reason.type).toEqual(['string', 'null']);
    expect(s.ChatCompletionResponseMessage.properties.content.type).toEqual(['string', 'null']);
    expect(s.CreateChatCompletionRequest.properties.max_tokens.type).toEqual(['integer', 'null']);
    expect(s.ModelCatalogEntry.properties.context_window.type).toBe('integer');
    expect(JSON.stringify(doc)).not.toContain('"nullable"');
  });

  it('types the streams: text/event-stream carries the event union (chunk, error, [DONE]; the Responses events)', () => {
    const ok = doc.paths['/v1/chat/completions'].post.responses['200'];
    expect(ok.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CreateChatCompletionResponse',
    );
    expect(ok.content['text/event-stream'].schema.$ref).toBe(
      '#/components/schemas/CreateChatCompletionStreamEvent',
    );
    const s = doc.components.schemas;
    expect(s.CreateChatCompletionStreamEvent.oneOf.map((b: Json) => b.$ref)).toEqual([
      '#/components/schemas/CreateChatCompletionStreamResponse',
      '#/components/schemas/ErrorResponse',
      '#/components/schemas/ChatCompletionStreamDone',
    ]);
    expect(s.ChatCompletionStreamDone.const).toBe('[DONE]');
    expect(ok.description).toContain('data: [DONE]');

    const responses = doc.paths['/v1/responses'].post.responses['200'].content;
    expect(responses['application/json'].schema.$ref).toBe('#/components/schemas/Response');
    expect(responses['text/event-stream'].schema.$ref).toBe(
      '#/components/schemas/ResponseStreamEvent',
    );
    const mapping = s.ResponseStreamEvent.discriminator.mapping as Record<string, string>;
    expect(Object.keys(mapping)).toEqual(
      expect.arrayContaining([
        'response.created',
        'response.output_text.delta',
        'response.function_call_arguments.done',
        'response.completed',
        'response.failed',
      ]),
    );
    expect(s[mapping['response.failed'].split('/').pop() as string].required).toContain('response');
  });

  it('takes the image edit as JSON or as the multipart upload form, each with its own schema', () => {
    const content = doc.paths['/v1/images/edits'].post.requestBody.content;
    expect(Object.keys(content).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CreateImageEditRequest',
    );
    const form = doc.components.schemas[
      content['multipart/form-data'].schema.$ref.split('/').at(-1) as string
    ] as Json;
    expect(form.required).toEqual(['model', 'prompt', 'image']);
    expect(form.properties.image.anyOf).toEqual([
      { type: 'string', format: 'binary' },
      expect.objectContaining({
        type: 'array',
        maxItems: 16,
        items: { type: 'string', format: 'binary' },
      }),
    ]);
    expect(form.properties).not.toHaveProperty('images');
    // The text fields are the JSON form's own declarations, so the two cannot drift.
    const json = doc.components.schemas.CreateImageEditRequest as Json;
    const { images: _images, ...jsonFields } = json.properties as Json;
    const { image: _image, ...formFields } = form.properties as Json;
    expect(formFields).toEqual(jsonFields);
    // The generation route takes JSON only.
    expect(Object.keys(doc.paths['/v1/images/generations'].post.requestBody.content)).toEqual([
      'application/json',
    ]);
  });

  it('lists every alias of the catalog and every error code', async () => {
    const models = (await (await fetch(`${gw.url}/v1/models`, { headers: auth })).json()) as Json;
    const aliases = (models.data as Json[]).map((m) => m.id as string);
    expect(aliases).toHaveLength(13);
    expect(doc.components.schemas.ModelAlias.enum).toEqual(aliases);
    expect(doc.components.schemas.CreateChatCompletionRequest.properties.model.examples).toEqual(
      aliases,
    );
    const codes = doc.components.schemas.GatewayErrorCode.enum as string[];
    expect(codes).toEqual(Object.keys(GATEWAY_ERROR_CODES));
    // Every code the README documents (its error tables) is in the enum.
    const readme = readFileSync('README.md', 'utf8');
    const start = readme.indexOf('### Errors');
    const errors = readme.slice(start, readme.indexOf('\n#', start + 1));
    const documented = [...errors.matchAll(/^\| (?:\d{3}(?: \/ \d{3})? \| )?(.+?) \|/gm)]
      .flatMap((row) => [...row[1].matchAll(/`([a-z]+(?:_[a-z]+)+)`/g)].map((m) => m[1]))
      .filter((code) => !['stream_options', 'file_id', 'file_data', 'local_only'].includes(code));
    expect(documented.length).toBeGreaterThan(25);
    expect(documented.filter((code) => !codes.includes(code))).toEqual([]);
    expect(doc.components.schemas.Error.properties.code.anyOf[0].$ref).toBe(
      '#/components/schemas/GatewayErrorCode',
    );
  });

  it('declares the headers on every response, 405 with Allow on every operation, and the probes', () => {
    for (const [path, method, op] of operations(doc)) {
      const where = `${method} ${path}`;
      expect({ where, has405: '405' in op.responses }).toEqual({ where, has405: true });
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if ('$ref' in response) {
          continue;
        }
        const headers = Object.keys(response.headers ?? {});
        expect({ where, status, headers }).toEqual({
          where,
          status,
          headers: expect.arrayContaining(['x-request-id']),
        });
        if (status === '401') {
          expect(headers).toContain('WWW-Authenticate');
        }
        if (['429', '502', '503'].includes(status)) {
          expect({ where, status, headers }).toEqual({
            where,
            status,
            headers: expect.arrayContaining(['Retry-After']),
          });
        }
      }
    }
    expect(doc.components.responses.MethodNotAllowed.headers.Allow.$ref).toBe(
      '#/components/headers/Allow',
    );
    for (const path of ['/v1/chat/completions', '/v1/responses', '/v1/images/generations']) {
      const routed = doc.paths[path].post;
      expect(Object.keys(routed.responses['200'].headers)).toEqual(
        expect.arrayContaining([
          'x-request-id',
          'x-rust-api-applied',
          'x-gateway-backend',
          'x-gateway-skipped',
          'x-gateway-data-policy',
        ]),
      );
      // The data-locality request header, and the errors it can end in.
      expect(routed.parameters).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: 'x-gateway-data-policy',
            in: 'header',
            required: false,
            schema: expect.objectContaining({ enum: ['local-only', 'any'] }),
          }),
        ]),
      );
    }
    expect(doc.components.schemas.GatewayErrorCode.enum).toEqual(
      expect.arrayContaining([
        'model_not_local',
        'local_backend_unavailable',
        'context_length_exceeded',
      ]),
    );
    for (const probe of ['/healthz', '/readyz']) {
      expect(doc.paths[probe].get.responses['200'].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/HealthCheckResult',
      );
    }
    expect(doc.paths['/readyz'].get.responses['503'].headers).toHaveProperty('Retry-After');
  });

  it('gives named request examples that the schema accepts and the gateway serves with 200, as real backends would', async () => {
    const published = new PublishedSchemas(doc as never);
    const validate = published.validator('CreateChatCompletionRequest');
    const examples = doc.paths['/v1/chat/completions'].post.requestBody.content['application/json']
      .examples as Record<string, { value: Json }>;
    expect(Object.keys(examples)).toEqual([
      'chat',
      'stream',
      'vision',
      'image',
      'reasoning',
      'tools',
    ]);
    for (const [name, { value }] of Object.entries(examples)) {
      expect({ name, valid: validate(value) }).toEqual({ name, valid: true });
      // What vLLM and the cloud APIs refuse: stream_options without streaming, absurd max_tokens.
      expect({ name, ok: value.stream_options === undefined || value.stream === true }).toEqual({
        name,
        ok: true,
      });
      expect(value.max_tokens ?? 0).toBeLessThanOrEqual(1000);
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(value),
      });
      const body = await res.text();
      expect({ name, status: res.status, body: res.status === 200 ? '' : body }).toEqual({
        name,
        status: 200,
        body: '',
      });
      if (name === 'reasoning') {
        expect(res.headers.get('x-rust-api-applied')).toMatch(/^max_tokens_floored=\d+$/);
      }
      if (name === 'stream') {
        expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
        expect(body).toContain('data: [DONE]');
      }
      if (name === 'image') {
        expect(JSON.parse(body).choices[0].message.images[0].image_url.url).toMatch(
          /^data:image\/png;base64,/,
        );
      }
    }
  });
});
