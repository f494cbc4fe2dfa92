import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FakeBackends } from './support/backends';
import { startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { CLIENT_KEY, type RunningGateway } from './support/gateway';
import { repoRoot } from './deploy/deploy-files';

const run = promisify(execFile);
const ROOT = repoRoot();

/**
 * What an enterprise team does with the document: generate a TypeScript client with
 * `@hey-api/openapi-ts` from the live `/openapi.json` (with the repository's
 * `clients/openapi-ts.config.mjs`: a JSON SDK and a stream SDK), compile it under `strict`, and
 * call the gateway with it. The program also holds `@ts-expect-error` lines: if the generated types
 * stopped refusing a bad request, the compile would fail.
 */
const PROGRAM = `
import { createClient } from './gen/json/client/index.js';
import { createChatCompletion, getModelCatalog, listModels, retrieveModel } from './gen/json/sdk.gen.js';
import { createClient as createStreamClient } from './gen/stream/client/index.js';
import {
  createChatCompletion as streamChatCompletion,
  createResponse as streamResponse,
} from './gen/stream/sdk.gen.js';
import type {
  ChatCompletionRequestMessage,
  CreateChatCompletionRequest,
  CreateChatCompletionResponse,
  ErrorResponse,
  GatewayErrorCode,
} from './gen/json/types.gen.js';
import type {
  CreateChatCompletionStreamEvent,
  CreateChatCompletionStreamResponse,
  ResponseStreamEvent,
} from './gen/stream/types.gen.js';

// @ts-expect-error max_tokens is an integer, not a string
export const badTokens: CreateChatCompletionRequest = { model: 'm', messages: [], max_tokens: '5' };
// @ts-expect-error a tool message needs its tool_call_id
export const badTool: ChatCompletionRequestMessage = { role: 'tool', content: 'x' };
// @ts-expect-error stream_options only with stream: true
export const badOptions: CreateChatCompletionRequest = { model: 'm', messages: [], stream_options: { include_usage: true } };
// @ts-expect-error a user message needs content
export const badUser: ChatCompletionRequestMessage = { role: 'user' };
export const code: GatewayErrorCode = 'image_url_not_supported';
// @ts-expect-error the stream SDK's body must say stream: true
export const notStreamed = () => streamChatCompletion({ body: { model: 'm', messages: [{ role: 'user', content: 'x' }] } });

async function main(): Promise<void> {
  const [baseUrl, key] = process.argv.slice(2);
  const client = createClient({ baseUrl, auth: key });
  const catalog = await getModelCatalog({ client, throwOnError: true });
  const models = await listModels({ client, throwOnError: true });

  const request: CreateChatCompletionRequest = {
    model: 'llama-4-scout',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Reply with 5 words.' },
    ],
    max_tokens: 50,
  };
  const completion = await createChatCompletion({ client, throwOnError: true, body: request });
  const answer: CreateChatCompletionResponse = completion.data;
  const content: string | null = answer.choices[0].message.content;
  const created: number = answer.created;

  // Streams: the stream SDK's generated methods, their events typed with the document's schemas.
  const streamClient = createStreamClient({ baseUrl, auth: key });
  const { stream } = await streamChatCompletion({
    client: streamClient,
    body: { ...request, stream: true, stream_options: { include_usage: true } },
    sseMaxRetryAttempts: 1,
  });
  let streamed = '';
  let chunks = 0;
  let usage = 0;
  let done = false;
  for await (const event of stream) {
    const typed: CreateChatCompletionStreamEvent = event;
    if (typed === '[DONE]') {
      done = true;
      break;
    }
    if ('error' in typed) {
      throw new Error(typed.error.message);
    }
    const chunk: CreateChatCompletionStreamResponse = typed;
    chunks++;
    streamed += chunk.choices[0]?.delta.content ?? '';
    usage = chunk.usage?.total_tokens ?? usage;
  }

  const { stream: responseEvents } = await streamResponse({
    client: streamClient,
    body: { model: 'llama-4-scout', input: 'Reply with 5 words.', stream: true },
    sseMaxRetryAttempts: 1,
  });
  const eventTypes: string[] = [];
  let responseText = '';
  let responseStatus = '';
  for await (const event of responseEvents) {
    const typed: ResponseStreamEvent = event;
    eventTypes.push(typed.type);
    if (typed.type === 'response.output_text.delta') {
      responseText += typed.delta;
    } else if (typed.type === 'response.completed' || typed.type === 'response.failed') {
      responseStatus = typed.response.status;
    }
  }

  const missing = await retrieveModel({ client, path: { model: 'no-such-model' } });
  const error: ErrorResponse | undefined = missing.error;

  console.log(
    JSON.stringify({
      aliases: catalog.data.models.map((m) => m.alias),
      models: models.data.data.map((m) => m.id),
      content,
      created,
      streamed,
      chunks,
      usage,
      done,
      eventTypes,
      responseText,
      responseStatus,
      errorStatus: missing.response?.status,
      errorCode: error?.error.code,
    }),
  );
}

void main();
`;

describe('a client generated from the live document with @hey-api/openapi-ts (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  let dir: string;

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes());
    dir = mkdtempSync(join(tmpdir(), 'hey-api-'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'openapi.json'), await (await fetch(`${gw.url}/openapi.json`)).text());
  });
  afterAll(async () => {
    await stopGatewayOnFakes({ gw, fakes });
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates, compiles under strict, and makes typed calls: catalog, models, chat, two typed streams, an error', async () => {
    await run(
      join(ROOT, 'node_modules/.bin/openapi-ts'),
      ['-f', join(ROOT, 'clients/openapi-ts.config.mjs'), '-s'],
      {
        cwd: dir,
        timeout: 60_000,
        env: { ...process.env, GATEWAY_OPENAPI: 'openapi.json', GATEWAY_CLIENT_DIR: 'gen' },
      },
    );
    writeFileSync(join(dir, 'main.ts'), PROGRAM);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2023', 'dom', 'dom.iterable', 'dom.asynciterable'],
          types: ['node'],
          outDir: 'out',
          skipLibCheck: false,
        },
        include: ['main.ts', 'gen'],
      }),
    );
    mkdirSync(join(dir, 'out'), { recursive: true });
    const tsc = await run(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir],
      {
        cwd: dir,
        timeout: 90_000,
      },
    ).catch((err: { stdout?: string; message?: string }) => ({
      stdout: `tsc failed:\n${err.stdout ?? err.message ?? ''}`,
    }));
    expect(tsc.stdout).toBe('');

    const before = fakes.vllm.chatRequests().length;
    const { stdout } = await run(process.execPath, [join(dir, 'out/main.js'), gw.url, CLIENT_KEY], {
      cwd: dir,
      timeout: 30_000,
    });
    const result = JSON.parse(stdout.trim()) as Record<string, unknown>;
    expect(result).toMatchObject({
      content: expect.any(String),
      created: expect.any(Number),
      done: true,
      responseStatus: 'completed',
      errorStatus: 404,
      errorCode: 'model_not_found',
    });
    expect(result.aliases).toHaveLength(13);
    expect(result.models).toEqual(result.aliases);
    expect((result.streamed as string).trim().split(/\s+/)).toHaveLength(5);
    expect(result.chunks).toBeGreaterThan(1);
    expect(result.usage).toBeGreaterThan(0);
    const types = result.eventTypes as string[];
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(types.at(-1)).toBe('response.completed');
    expect((result.responseText as string).trim().split(/\s+/)).toHaveLength(5);
    // Every call reached the backend: the JSON one, then both streams with streaming on.
    const sent = fakes.vllm.chatRequests().slice(before);
    expect(sent.map((r) => (r.body as { stream?: boolean }).stream ?? false)).toEqual([
      false,
      true,
      true,
    ]);
    expect(sent[2].body).toMatchObject({
      messages: [{ role: 'user', content: 'Reply with 5 words.' }],
    });
  }, 180_000);
});
