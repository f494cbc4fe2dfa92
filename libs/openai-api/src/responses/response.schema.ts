import { nullable, ref, type JsonSchema } from '@app/contracts';

/** The OpenAPI names of the `Response` object and of one event of its stream. */
export const RESPONSE_SCHEMA_NAME = 'Response';
export const RESPONSE_STREAM_EVENT_SCHEMA_NAME = 'ResponseStreamEvent';

const integer: JsonSchema = { type: 'integer', minimum: 0 };

const usage: JsonSchema = {
  type: nullable('object'),
  properties: {
    input_tokens: integer,
    input_tokens_details: { type: 'object', properties: { cached_tokens: integer } },
    output_tokens: integer,
    output_tokens_details: { type: 'object', properties: { reasoning_tokens: integer } },
    total_tokens: integer,
  },
  required: ['input_tokens', 'output_tokens', 'total_tokens'],
};

const outputContent: JsonSchema = {
  type: 'object',
  description:
    'Text of an output item: `output_text` for a message, `reasoning_text` for thinking.',
  properties: {
    type: { type: 'string', enum: ['output_text', 'reasoning_text'] },
    text: { type: 'string' },
    annotations: { type: 'array', items: { type: 'object' } },
    logprobs: { type: 'array', items: { type: 'object' } },
  },
  required: ['type', 'text'],
};

const outputItem: JsonSchema = {
  type: 'object',
  description:
    "`reasoning` (the model's thinking, as `content[0]` of type `reasoning_text`; `summary` is empty), `message` (the text, as `content[0]` of type `output_text`), `function_call` (`call_id`, `name`, `arguments` as a JSON string) or `image_generation_call` (`result`: the base64 image of an image-output alias).",
  properties: {
    type: {
      type: 'string',
      enum: ['reasoning', 'message', 'function_call', 'image_generation_call'],
    },
    id: { type: 'string' },
    status: { type: 'string', enum: ['in_progress', 'completed', 'incomplete'] },
    role: { type: 'string', enum: ['assistant'] },
    content: { type: 'array', items: ref('ResponseOutputContent') },
    summary: { type: 'array', items: { type: 'object' } },
    call_id: { type: 'string' },
    name: { type: 'string' },
    arguments: { type: 'string' },
    result: { type: nullable('string'), description: 'Base64 image bytes (no data: prefix).' },
    output_format: { type: 'string', examples: ['png'] },
  },
  required: ['type', 'id', 'status'],
};

/** The `Response` object `POST /v1/responses` answers with (and the stream's lifecycle events carry). */
const responseObject: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', examples: ['resp_3f2a9c'] },
    object: { type: 'string', enum: ['response'] },
    created_at: { type: 'integer' },
    status: { type: 'string', enum: ['in_progress', 'completed', 'incomplete', 'failed'] },
    error: {
      type: nullable('object'),
      description: 'Why a `failed` response failed: a stream error code and its message.',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    incomplete_details: {
      type: nullable('object'),
      properties: { reason: { type: 'string', enum: ['max_output_tokens', 'content_filter'] } },
    },
    model: { type: 'string', description: 'The alias asked for.' },
    output: { type: 'array', items: ref('ResponseOutputItem') },
    usage: ref('ResponseUsage'),
    instructions: { type: nullable('string') },
    max_output_tokens: { type: nullable('integer') },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    temperature: { type: nullable('number') },
    top_p: { type: nullable('number') },
    tools: { type: 'array', items: { type: 'object' } },
    store: { type: 'boolean', enum: [false] },
  },
  required: ['id', 'object', 'created_at', 'status', 'model', 'output'],
};

/** One event of the stream: its `type`, its `sequence_number`, and its own fields (all sent). */
const event = (
  type: string,
  description: string,
  fields: Record<string, JsonSchema>,
): JsonSchema => ({
  type: 'object',
  description,
  properties: {
    type: { type: 'string', const: type },
    sequence_number: integer,
    ...fields,
  },
  required: ['type', 'sequence_number', ...Object.keys(fields)],
});

const lifecycle = (type: string, description: string): JsonSchema =>
  event(type, description, { response: ref(RESPONSE_SCHEMA_NAME) });
const item = { output_index: integer, item: ref('ResponseOutputItem') };
const part = {
  item_id: { type: 'string' },
  output_index: integer,
  content_index: integer,
};
const logprobs = { type: 'array', items: { type: 'object' } };

/** The events the gateway sends, by OpenAI's schema names. */
const EVENTS: Record<string, JsonSchema> = {
  ResponseCreatedEvent: lifecycle('response.created', 'First: the response, `in_progress`.'),
  ResponseInProgressEvent: lifecycle('response.in_progress', 'Second: the same response.'),
  ResponseOutputItemAddedEvent: event('response.output_item.added', 'An output item starts.', item),
  ResponseContentPartAddedEvent: event(
    'response.content_part.added',
    'A text part of a message or reasoning item starts.',
    { ...part, part: ref('ResponseOutputContent') },
  ),
  ResponseTextDeltaEvent: event('response.output_text.delta', 'More text of a message.', {
    ...part,
    delta: { type: 'string' },
    logprobs,
  }),
  ResponseTextDoneEvent: event('response.output_text.done', 'The whole text of a message.', {
    ...part,
    text: { type: 'string' },
    logprobs,
  }),
  ResponseReasoningTextDeltaEvent: event(
    'response.reasoning_text.delta',
    "More of the model's thinking.",
    { ...part, delta: { type: 'string' } },
  ),
  ResponseReasoningTextDoneEvent: event(
    'response.reasoning_text.done',
    "The model's whole thinking.",
    { ...part, text: { type: 'string' } },
  ),
  ResponseContentPartDoneEvent: event('response.content_part.done', 'A text part ends.', {
    ...part,
    part: ref('ResponseOutputContent'),
  }),
  ResponseFunctionCallArgumentsDeltaEvent: event(
    'response.function_call_arguments.delta',
    "More of a function call's arguments.",
    { item_id: { type: 'string' }, output_index: integer, delta: { type: 'string' } },
  ),
  ResponseFunctionCallArgumentsDoneEvent: event(
    'response.function_call_arguments.done',
    "A function call's name and whole arguments.",
    {
      item_id: { type: 'string' },
      output_index: integer,
      name: { type: 'string' },
      arguments: { type: 'string' },
    },
  ),
  ResponseOutputItemDoneEvent: event('response.output_item.done', 'An output item ends.', item),
  ResponseCompletedEvent: lifecycle(
    'response.completed',
    'Last, on success: the whole response with its usage.',
  ),
  ResponseIncompleteEvent: lifecycle(
    'response.incomplete',
    'Last, when `max_output_tokens` ran out: the response so far.',
  ),
  ResponseFailedEvent: lifecycle(
    'response.failed',
    'Last, when an upstream failure cut the stream: `response.error` has the stream error code. Never followed by `response.completed`.',
  ),
};

/**
 * The Responses API's answer and its stream, as a JSON Schema document: `ResponseStreamEvent` is
 * the union of the events (tagged by `type`); its `$defs` hold `Response` and what it is made of.
 * Published as components by the OpenAPI document, and checked against what the stream sends.
 */
export const RESPONSE_STREAM_EVENT_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  description:
    'One event of a streamed response: `event: <type>` and `data: <this JSON>`, in the order listed.',
  type: 'object',
  discriminator: { propertyName: 'type' },
  oneOf: Object.keys(EVENTS).map((name) => ref(name)),
  $defs: {
    [RESPONSE_SCHEMA_NAME]: responseObject,
    ResponseOutputItem: outputItem,
    ResponseOutputContent: outputContent,
    ResponseUsage: usage,
    ...EVENTS,
  },
};

/** What a streamed `POST /v1/responses` sends, for the OpenAPI document. */
export const RESPONSE_STREAM_DESCRIPTION =
  'With `stream: true`: `text/event-stream`, `event: <type>` + `data: <ResponseStreamEvent JSON>` per event, each with `type` and `sequence_number`: ' +
  '`response.created`, `response.in_progress`; per output item `response.output_item.added`, ' +
  'for text `response.content_part.added`, `response.output_text.delta`…, `response.output_text.done`, `response.content_part.done`, ' +
  'for a tool call `response.function_call_arguments.delta`…, `response.function_call_arguments.done`; then `response.output_item.done`; ' +
  'last `response.completed` (or `response.incomplete` when `max_output_tokens` ran out). ' +
  'A stream cut by an upstream failure ends with `response.failed` whose `response.error` has the code ' +
  '(`upstream_stream_interrupted`, `upstream_timeout`, `upstream_error`, …), never with `response.completed`. ' +
  'A stream looks like:\n\n```\n' +
  'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","created_at":1767225600,"status":"in_progress","model":"llama-4-scout","output":[]}}\n\n' +
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi","logprobs":[]}\n\n' +
  'event: response.completed\ndata: {"type":"response.completed","sequence_number":8,"response":{"id":"resp_1","object":"response","created_at":1767225600,"status":"completed","model":"llama-4-scout","output":[]}}\n' +
  '```';
