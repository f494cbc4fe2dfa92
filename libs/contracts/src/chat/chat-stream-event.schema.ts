import type { JsonSchema } from '../schema/json-schema';

const component = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** The OpenAPI name of one event of a streamed chat completion. */
export const CHAT_STREAM_EVENT_SCHEMA_NAME = 'CreateChatCompletionStreamEvent';

/**
 * What the `data:` of each server-sent event of a streamed chat completion holds, for the OpenAPI
 * document: the `text/event-stream` answer carries {@link CHAT_STREAM_EVENT_SCHEMA_NAME}, so a
 * generated SSE client types its events with it.
 */
export const CHAT_STREAM_EVENT_SCHEMAS: Record<string, JsonSchema> = {
  ChatCompletionStreamDone: {
    type: 'string',
    const: '[DONE]',
    description:
      'The terminal event, `data: [DONE]` (not JSON). A stream cut by an error has none.',
  },
  [CHAT_STREAM_EVENT_SCHEMA_NAME]: {
    description:
      'The `data` of one event: a `CreateChatCompletionStreamResponse` chunk (the last one, with ' +
      '`stream_options.include_usage`, has empty `choices` and the `usage`); an `ErrorResponse` ' +
      'that ends a stream cut after its first event (a stream error code, no `[DONE]` after it); ' +
      'or the terminal `[DONE]`.',
    oneOf: [
      component('CreateChatCompletionStreamResponse'),
      component('ErrorResponse'),
      component('ChatCompletionStreamDone'),
    ],
  },
};
