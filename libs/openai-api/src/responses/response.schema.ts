import type { JsonSchema } from '@app/contracts';

const usage: JsonSchema = {
  type: 'object',
  nullable: true,
  properties: {
    input_tokens: { type: 'integer' },
    input_tokens_details: { type: 'object', properties: { cached_tokens: { type: 'integer' } } },
    output_tokens: { type: 'integer' },
    output_tokens_details: {
      type: 'object',
      properties: { reasoning_tokens: { type: 'integer' } },
    },
    total_tokens: { type: 'integer' },
  },
  required: ['input_tokens', 'output_tokens', 'total_tokens'],
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
    content: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string', enum: ['output_text', 'reasoning_text'] },
          text: { type: 'string' },
          annotations: { type: 'array', items: { type: 'object' } },
        },
      },
    },
    summary: { type: 'array', items: { type: 'object' } },
    call_id: { type: 'string' },
    name: { type: 'string' },
    arguments: { type: 'string' },
    result: {
      type: 'string',
      nullable: true,
      description: 'Base64 image bytes (no data: prefix).',
    },
    output_format: { type: 'string', example: 'png' },
  },
  required: ['type', 'id', 'status'],
};

/** The `Response` object `POST /v1/responses` answers with (and the stream's lifecycle events carry). */
export const RESPONSE_OBJECT_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'Response',
  properties: {
    id: { type: 'string', example: 'resp_3f2a9c' },
    object: { type: 'string', enum: ['response'] },
    created_at: { type: 'integer' },
    status: { type: 'string', enum: ['in_progress', 'completed', 'incomplete', 'failed'] },
    error: {
      type: 'object',
      nullable: true,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    incomplete_details: {
      type: 'object',
      nullable: true,
      properties: { reason: { type: 'string', enum: ['max_output_tokens', 'content_filter'] } },
    },
    model: { type: 'string', description: 'The alias asked for.' },
    output: { type: 'array', items: outputItem },
    usage,
    instructions: { type: 'string', nullable: true },
    max_output_tokens: { type: 'integer', nullable: true },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    temperature: { type: 'number', nullable: true },
    top_p: { type: 'number', nullable: true },
    tools: { type: 'array', items: { type: 'object' } },
    store: { type: 'boolean', enum: [false] },
  },
  required: ['id', 'object', 'created_at', 'status', 'model', 'output'],
};

/** What a streamed `POST /v1/responses` sends, for the OpenAPI document. */
export const RESPONSE_STREAM_DESCRIPTION =
  'SSE: `event: <type>` + `data: <event JSON>` per event, each with `type` and `sequence_number`: ' +
  '`response.created`, `response.in_progress`; per output item `response.output_item.added`, ' +
  'for text `response.content_part.added`, `response.output_text.delta`…, `response.output_text.done`, `response.content_part.done`, ' +
  'for a tool call `response.function_call_arguments.delta`…, `response.function_call_arguments.done`; then `response.output_item.done`; ' +
  'last `response.completed` (or `response.incomplete` when `max_output_tokens` ran out). ' +
  'A stream cut by an upstream failure ends with `response.failed` whose `response.error` has the code ' +
  '(`upstream_stream_interrupted`, `upstream_timeout`, `upstream_error`, …), never with `response.completed`.';

export const RESPONSE_STREAM_EXAMPLE =
  'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","model":"llama-4-scout","output":[]}}\n\n' +
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}\n\n' +
  'event: response.completed\ndata: {"type":"response.completed","sequence_number":8,"response":{"id":"resp_1","object":"response","status":"completed","model":"llama-4-scout","output":[]}}\n\n';
