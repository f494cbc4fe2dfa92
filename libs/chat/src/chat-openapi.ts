import type { ModelEntry } from '@app/config';
import { TINY_PNG_DATA_URI } from '@app/contracts';

/** A named OpenAPI example. */
export interface OpenApiExample {
  summary: string;
  description?: string;
  value: unknown;
}

const TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    },
  },
};

/**
 * Named request examples for `POST /v1/chat/completions`, with aliases taken from the loaded
 * catalog, so each one runs as is in Swagger UI's "Try it out" and would be accepted by the real
 * backends (no `stream_options` without `stream`, `max_tokens` well within every model's window).
 * An example whose kind of alias the catalog lacks is left out.
 */
export function chatRequestExamples(models: readonly ModelEntry[]): Record<string, OpenApiExample> {
  const unfloored = (m: ModelEntry): boolean =>
    m.constraints.min_max_tokens === null && m.modalities.output.includes('text');
  const text = models.find((m) => unfloored(m) && !m.modalities.output.includes('image'));
  const vision = models.find((m) => unfloored(m) && m.vision);
  const tools = models.find((m) => unfloored(m) && m.tools);
  const image = models.find((m) => m.modalities.output.includes('image'));
  const floored = models.find((m) => m.constraints.min_max_tokens !== null);
  const examples: Record<string, OpenApiExample | undefined> = {
    chat: text && {
      summary: 'Plain chat',
      value: {
        model: text.alias,
        messages: [
          { role: 'system', content: 'You are a concise assistant.' },
          { role: 'user', content: 'What is the capital of France?' },
        ],
        max_tokens: 100,
      },
    },
    stream: text && {
      summary: 'Streamed chat, with usage',
      description:
        'Answered as `text/event-stream`: `CreateChatCompletionStreamResponse` chunks, a last chunk with `usage`, then `data: [DONE]`.',
      value: {
        model: text.alias,
        messages: [{ role: 'user', content: 'Write a haiku about GPUs.' }],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 200,
      },
    },
    vision: vision && {
      summary: 'Vision, with a base64 image',
      description:
        'Images go inline as `data:image/<type>;base64,…`; the gateway never fetches URLs.',
      value: {
        model: vision.alias,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in this image?' },
              { type: 'image_url', image_url: { url: TINY_PNG_DATA_URI } },
            ],
          },
        ],
        max_tokens: 300,
      },
    },
    image: image && {
      summary: 'Image generation',
      description:
        'The image comes back at `choices[0].message.images[0].image_url.url` as a `data:image/png;base64,…` URI. Allow 240 s.',
      value: {
        model: image.alias,
        messages: [{ role: 'user', content: 'A watercolor lighthouse at dawn' }],
      },
    },
    reasoning: floored && {
      summary: 'A reasoning model: max_tokens floored',
      description: `\`max_tokens: 50\` is raised to ${floored.alias}'s \`min_max_tokens\` (${floored.constraints.min_max_tokens}), reported as \`x-rust-api-applied: max_tokens_floored=${floored.constraints.min_max_tokens}\`.`,
      value: {
        model: floored.alias,
        messages: [{ role: 'user', content: 'Why is the sky blue? One sentence.' }],
        max_tokens: 50,
      },
    },
    tools: tools && {
      summary: 'A tool call',
      description:
        'The model may answer with `tool_calls`; send the result back as a `tool` message with its `tool_call_id`.',
      value: {
        model: tools.alias,
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
        tools: [TOOL],
        tool_choice: 'auto',
        max_tokens: 200,
      },
    },
  };
  return Object.fromEntries(
    Object.entries(examples).filter((entry): entry is [string, OpenApiExample] => !!entry[1]),
  );
}

/** Named examples of the JSON answer: text, a tool call, an image. */
export function chatResponseExamples(
  models: readonly ModelEntry[],
): Record<string, OpenApiExample> {
  const alias = models[0]?.alias ?? 'model';
  const image = models.find((m) => m.modalities.output.includes('image'))?.alias ?? alias;
  const completion = (model: string, message: object, finish: string): object => ({
    id: 'chatcmpl-9f2c',
    object: 'chat.completion',
    created: 1767225600,
    model,
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
    usage: { prompt_tokens: 21, completion_tokens: 9, total_tokens: 30 },
  });
  return {
    chat: {
      summary: 'A text answer',
      value: completion(alias, { content: 'The capital of France is Paris.' }, 'stop'),
    },
    tools: {
      summary: 'A tool call',
      value: completion(
        alias,
        {
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        'tool_calls',
      ),
    },
    image: {
      summary: 'A generated image',
      value: completion(
        image,
        {
          content: 'Here is your lighthouse.',
          images: [{ type: 'image_url', image_url: { url: TINY_PNG_DATA_URI } }],
        },
        'stop',
      ),
    },
  };
}
