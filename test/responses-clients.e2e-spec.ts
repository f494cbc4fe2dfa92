import { createOpenAI } from '@ai-sdk/openai';
import { tool as langchainTool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';
import type { FakeBackends } from './support/backends';
import { restoreHealth, startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { CLIENT_KEY, type RunningGateway } from './support/gateway';

type Body = Record<string, unknown>;

const WEATHER_PARAMETERS = {
  type: 'object' as const,
  properties: { city: { type: 'string' as const } },
  required: ['city'],
  additionalProperties: false,
};

describe("today's clients on their default Responses paths (e2e)", () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  let client: OpenAI;
  const lastBody = (): Body => {
    const all = fakes.all().flatMap((s) => s.chatRequests());
    all.sort((a, b) => a.at - b.at);
    return all.at(-1)?.body as Body;
  };
  const responsesPaths = (): number => gwRequests.filter((p) => p === '/v1/responses').length;
  let gwRequests: string[] = [];

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes());
    gw.server.prependListener('request', (req) => gwRequests.push(req.url ?? ''));
    client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));
  beforeEach(() => {
    gwRequests = [];
    return restoreHealth({ fakes, gw });
  });

  describe('openai SDK', () => {
    it('round-trips a function call: function_call item, then function_call_output to the answer', async () => {
      const tools: OpenAI.Responses.Tool[] = [
        { type: 'function', name: 'get_weather', parameters: WEATHER_PARAMETERS, strict: true },
      ];
      const first = await client.responses.create({
        model: 'llama-4-scout',
        input: 'What is the weather in Paris?',
        tools,
      });
      const call = first.output.find(
        (item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === 'function_call',
      );
      expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
      expect(lastBody()).toMatchObject({
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', parameters: WEATHER_PARAMETERS, strict: true },
          },
        ],
      });
      const second = await client.responses.create({
        model: 'llama-4-scout',
        input: [
          { role: 'user', content: 'What is the weather in Paris?' },
          call as OpenAI.Responses.ResponseFunctionToolCall,
          {
            type: 'function_call_output',
            call_id: call?.call_id ?? '',
            output: '21 degrees and sunny',
          },
        ],
        tools,
      });
      expect(second.output_text).toBe('The tool returned: 21 degrees and sunny');
      expect((lastBody().messages as Body[]).slice(1)).toEqual([
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: call?.call_id,
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: call?.call_id, content: '21 degrees and sunny' },
      ]);
    });

    it('streams a forced function call as function_call_arguments events', async () => {
      const stream = client.responses.stream({
        model: 'mistral-small-4',
        input: 'Weather in Oslo',
        tools: [
          { type: 'function', name: 'get_weather', parameters: WEATHER_PARAMETERS, strict: true },
        ],
        tool_choice: { type: 'function', name: 'get_weather' },
      });
      const deltas: string[] = [];
      stream.on('response.function_call_arguments.delta', (e) => deltas.push(e.delta));
      const final = await stream.finalResponse();
      expect(deltas.join('')).toBe('{"city":"Oslo"}');
      expect(final.output[0]).toMatchObject({
        type: 'function_call',
        name: 'get_weather',
        status: 'completed',
      });
      expect(lastBody()).toMatchObject({
        stream: true,
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });
    });

    it('JSON mode and a JSON schema: text.format becomes response_format, the answer parses', async () => {
      const mode = await client.responses.create({
        model: 'llama-4-scout',
        input: 'Say hi',
        text: { format: { type: 'json_object' } },
      });
      expect(JSON.parse(mode.output_text)).toEqual({ answer: 'You said: Say hi' });
      expect(lastBody()).toMatchObject({ response_format: { type: 'json_object' } });

      const schema = {
        type: 'object',
        properties: { name: { type: 'string' }, age: { type: 'integer' } },
        required: ['name', 'age'],
        additionalProperties: false,
      };
      const parsed = await client.responses.parse({
        model: 'llama-4-scout',
        input: 'Describe Ada',
        text: { format: { type: 'json_schema', name: 'person', schema, strict: true } },
      });
      expect(parsed.output_parsed).toEqual({ name: 'Ada', age: 1 });
      expect(lastBody()).toMatchObject({
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'person', schema, strict: true },
        },
      });
    });
  });

  describe('@langchain/openai ChatOpenAI', () => {
    const model = (fields: Record<string, unknown> = {}): ChatOpenAI =>
      new ChatOpenAI({
        model: 'gpt-5.5-pro',
        apiKey: CLIENT_KEY,
        configuration: { baseURL: `${gw.url}/v1` },
        maxRetries: 0,
        ...fields,
      });

    it('sends gpt-5.5-pro to /v1/responses by default, floored like chat', async () => {
      const reply = await model({ maxTokens: 50 }).invoke('Why is the sky blue?');
      expect(reply.text).toContain('You said: Why is the sky blue?');
      expect(responsesPaths()).toBe(1);
      expect(fakes.openrouter.chatRequests().at(-1)?.body).toMatchObject({
        model: 'openai/gpt-5.5-pro',
        max_tokens: 200,
      });
    });

    it('streams, and calls a tool (useResponsesApi)', async () => {
      let text = '';
      for await (const chunk of await model({ useResponsesApi: true, streaming: true }).stream(
        'Reply with 4 words.',
      )) {
        text += chunk.text;
      }
      expect(text.trim().split(/\s+/)).toHaveLength(4);

      const getWeather = langchainTool(() => 'sunny', {
        name: 'get_weather',
        description: 'Current weather of a city',
        schema: z.object({ city: z.string() }),
      });
      const reply = await model({ model: 'llama-4-scout', useResponsesApi: true })
        .bindTools([getWeather])
        .invoke('Weather in Rome?');
      expect(reply.tool_calls).toEqual([
        expect.objectContaining({ name: 'get_weather', args: { city: 'Rome' } }),
      ]);
      expect(responsesPaths()).toBe(2);
    });
  });

  describe('Vercel AI SDK default provider (Responses)', () => {
    const provider = (): ReturnType<typeof createOpenAI> =>
      createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: CLIENT_KEY });

    it('generateText and streamText', async () => {
      const { text, usage } = await generateText({
        model: provider()('llama-4-scout'),
        prompt: 'Reply with 5 words.',
        maxRetries: 0,
      });
      expect(text.split(' ')).toHaveLength(5);
      expect(usage.outputTokens).toBe(5);
      const result = streamText({
        model: provider()('gemma-4-31b'),
        prompt: 'Reply with 3 words.',
        maxRetries: 0,
      });
      let streamed = '';
      for await (const delta of result.textStream) {
        streamed += delta;
      }
      expect(streamed.split(' ')).toHaveLength(3);
      expect(responsesPaths()).toBe(2);
      expect(lastBody()).toMatchObject({ stream: true });
    });

    it('runs a tool call to its answer over two steps', async () => {
      const calls: unknown[] = [];
      const { text, steps } = await generateText({
        model: provider()('llama-4-scout'),
        prompt: 'Weather in Lima?',
        maxRetries: 0,
        tools: {
          get_weather: tool({
            description: 'Current weather of a city',
            inputSchema: jsonSchema<{ city: string }>(WEATHER_PARAMETERS),
            execute: (input: { city: string }) => {
              calls.push(input);
              return Promise.resolve(`${input.city}: 19 degrees`);
            },
          }),
        },
        stopWhen: stepCountIs(3),
      });
      expect(calls).toEqual([{ city: 'Lima' }]);
      expect(steps).toHaveLength(2);
      expect(text).toBe('The tool returned: Lima: 19 degrees');
      expect(responsesPaths()).toBe(2);
    });

    it('reports a stream cut mid-way as an error, not a finished answer', async () => {
      fakes.vllm.setFault({ kind: 'cut', afterChunks: 3, times: 1 });
      const errors: unknown[] = [];
      const result = streamText({
        model: provider()('llama-4-scout'),
        prompt: 'Reply with 30 words.',
        maxRetries: 0,
        onError: ({ error }) => {
          errors.push(error);
        },
      });
      for await (const _part of result.fullStream) {
        // drain
      }
      expect(errors).toHaveLength(1);
      expect(await result.finishReason).toBe('error');
    });
  });
});
