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
 * `@hey-api/openapi-ts` from the live `/openapi.json`, compile it under `strict`, and call the
 * gateway with it. The program also holds `@ts-expect-error` lines: if the generated types stopped
 * refusing a bad request, the compile would fail.
 */
const PROGRAM = `
import { createClient } from './gen/client/index.js';
import { createChatCompletion, getModelCatalog, listModels, retrieveModel } from './gen/sdk.gen.js';
import type {
  ChatCompletionRequestMessage,
  CreateChatCompletionRequest,
  CreateChatCompletionResponse,
  CreateChatCompletionStreamResponse,
  ErrorResponse,
  GatewayErrorCode,
} from './gen/types.gen.js';

// @ts-expect-error max_tokens is an integer, not a string
export const badTokens: CreateChatCompletionRequest = { model: 'm', messages: [], max_tokens: '5' };
// @ts-expect-error a tool message needs its tool_call_id
export const badTool: ChatCompletionRequestMessage = { role: 'tool', content: 'x' };
// @ts-expect-error stream_options only with stream: true
export const badOptions: CreateChatCompletionRequest = { model: 'm', messages: [], stream_options: { include_usage: true } };
// @ts-expect-error a user message needs content
export const badUser: ChatCompletionRequestMessage = { role: 'user' };
export const code: GatewayErrorCode = 'image_url_not_supported';

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

  // Streams: the SSE client the generator ships, typed with the generated event schemas.
  const { stream } = await client.sse.post<{
    200: CreateChatCompletionStreamResponse | ErrorResponse | string;
  }>({
    url: '/v1/chat/completions',
    security: [{ scheme: 'bearer', type: 'http' }],
    headers: { 'Content-Type': 'application/json' },
    body: { ...request, stream: true, stream_options: { include_usage: true } } satisfies CreateChatCompletionRequest,
    sseMaxRetryAttempts: 1,
  });
  let streamed = '';
  let chunks = 0;
  let usage = 0;
  let done = false;
  for await (const event of stream) {
    if (typeof event === 'string') {
      done = event === '[DONE]';
      break;
    }
    if ('error' in event) {
      throw new Error(event.error.message);
    }
    chunks++;
    streamed += event.choices[0]?.delta.content ?? '';
    usage = event.usage?.total_tokens ?? usage;
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

  it('generates, compiles under strict, and makes typed calls: catalog, models, chat, a stream, an error', async () => {
    await run(
      join(ROOT, 'node_modules/.bin/openapi-ts'),
      ['-i', 'openapi.json', '-o', 'gen', '-c', '@hey-api/client-fetch', '--no-log-file', '-s'],
      { cwd: dir, timeout: 60_000 },
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
      errorStatus: 404,
      errorCode: 'model_not_found',
    });
    expect(result.aliases).toHaveLength(13);
    expect(result.models).toEqual(result.aliases);
    expect((result.streamed as string).trim().split(/\s+/)).toHaveLength(5);
    expect(result.chunks).toBeGreaterThan(1);
    expect(result.usage).toBeGreaterThan(0);
    // Both calls reached the backend, the stream with streaming on.
    const sent = fakes.vllm.chatRequests().slice(before);
    expect(sent.map((r) => (r.body as { stream?: boolean }).stream ?? false)).toEqual([
      false,
      true,
    ]);
  }, 180_000);
});
