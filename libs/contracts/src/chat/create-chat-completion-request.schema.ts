import { AUDIO_FORMATS, DATA_URI_FORMATS, RASTER_IMAGE_TYPES } from '../schema/data-uri';
import {
  coded,
  FORWARDED_DEFS,
  forwardedObject,
  imageDataUri,
  nullable,
  ref,
  type JsonSchema,
} from '../schema/json-schema';

/** A 1×1 PNG as a data URI, for examples. */
export const TINY_PNG_DATA_URI =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** Most messages one request may carry. */
export const MAX_MESSAGES = 2048;
/** Highest `max_tokens` / `max_completion_tokens` accepted; above any model's window. */
export const MAX_TOKENS_CAP = 1_000_000;
/** Most tools one request may declare (OpenAI's own limit). */
export const MAX_TOOLS = 128;
/** Most content parts in one message's `content`. */
export const MAX_CONTENT_PARTS = 4096;
/** Most entries in `modalities`. */
export const MAX_MODALITIES = 8;
/** Longest model alias. */
export const MAX_MODEL_LENGTH = 256;

/** The schema name of the chat request, in the OpenAPI document and in `$defs`. */
export const CHAT_REQUEST_SCHEMA_NAME = 'CreateChatCompletionRequest';

const tokenCount = (description: string): JsonSchema => ({
  type: nullable('integer'),
  minimum: 1,
  maximum: MAX_TOKENS_CAP,
  description,
});

/** A content-part schema: `{ type: <name>, <name>: <inner> }`, OpenAI's shape. */
function part(type: string, inner: JsonSchema, description: string): JsonSchema {
  return forwardedObject({ type: { type: 'string', const: type }, [type]: inner }, ['type', type], {
    description,
  });
}

/** `content` of a message: a string, or an array of the given parts. */
function content(partSchema: JsonSchema, description: string): JsonSchema {
  return {
    description,
    anyOf: [{ type: 'string' }, { type: 'array', maxItems: MAX_CONTENT_PARTS, items: partSchema }],
  };
}

/** A message of a role: `role` is its discriminator. */
function message(
  role: string,
  properties: Record<string, JsonSchema>,
  required: readonly string[],
  extra: JsonSchema = {},
): JsonSchema {
  return forwardedObject(
    { role: { type: 'string', const: role }, ...properties },
    ['role', ...required],
    extra,
  );
}

const userContent = content(
  {
    type: 'object',
    discriminator: { propertyName: 'type' },
    oneOf: [
      ref('ChatCompletionRequestMessageContentPartText'),
      ref('ChatCompletionRequestMessageContentPartImage'),
      ref('ChatCompletionRequestMessageContentPartAudio'),
      ref('ChatCompletionRequestMessageContentPartVideo'),
      ref('ChatCompletionRequestMessageContentPartFile'),
    ],
  },
  'A string, or an array of parts: `text`, `image_url` (a base64 `data:` URI only), ' +
    '`input_audio`, `video_url`, `file`.',
);
const textContent = content(
  {
    type: 'object',
    discriminator: { propertyName: 'type' },
    oneOf: [ref('ChatCompletionRequestMessageContentPartText')],
  },
  'A string, or an array of `text` parts.',
);
const assistantContent = content(
  {
    type: 'object',
    discriminator: { propertyName: 'type' },
    oneOf: [
      ref('ChatCompletionRequestMessageContentPartText'),
      ref('ChatCompletionRequestMessageContentPartRefusal'),
    ],
  },
  'A string, or an array of `text` and `refusal` parts.',
);
const name = { type: 'string', description: 'An optional name for the participant.' };

/**
 * The chat completion request: the single source of truth for the contract. The gateway validates
 * every body against it (Ajv, compiled once) and the OpenAPI document publishes it, so whatever
 * the document accepts, the gateway accepts, and what it refuses is outside the schema.
 * Undeclared fields (`top_k`, `reasoning`, `chat_template_kwargs`, …) are forwarded untouched,
 * save routing-control and prototype keys, refused at any depth. Property order is the order
 * errors are reported in.
 */
export const CREATE_CHAT_COMPLETION_REQUEST_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  ...forwardedObject(
    {
      model: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_MODEL_LENGTH,
        description: 'A model alias from `GET /v1/models` (unknown or not allowed: 404).',
      },
      messages: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_MESSAGES,
        items: ref('ChatCompletionRequestMessage'),
        description: 'The conversation so far.',
      },
      stream: {
        type: nullable('boolean'),
        description:
          'Relay the answer as server-sent events (`text/event-stream`): ' +
          '`data: <CreateChatCompletionStreamResponse>` events, then `data: [DONE]`.',
      },
      stream_options: {
        anyOf: [ref('ChatCompletionStreamOptions'), { type: 'null' }],
      },
      max_tokens: tokenCount(
        "Raised silently to the model's `min_max_tokens` when below it, lowered to the serving " +
          "hop's cap when above it (both reported in `x-rust-api-applied`).",
      ),
      max_completion_tokens: tokenCount('Same rules as `max_tokens`.'),
      n: {
        type: nullable('integer'),
        minimum: 1,
        maximum: 1,
        description: 'Only one choice per request.',
      },
      temperature: { type: nullable('number'), minimum: 0, maximum: 2 },
      top_p: { type: nullable('number'), minimum: 0, maximum: 1 },
      frequency_penalty: { type: nullable('number'), minimum: -2, maximum: 2 },
      presence_penalty: { type: nullable('number'), minimum: -2, maximum: 2 },
      seed: {
        type: nullable('integer'),
        minimum: Number.MIN_SAFE_INTEGER,
        maximum: Number.MAX_SAFE_INTEGER,
      },
      tools: {
        type: 'array',
        maxItems: MAX_TOOLS,
        items: ref('ChatCompletionTool'),
      },
      tool_choice: ref('ChatCompletionToolChoiceOption'),
      response_format: ref('ResponseFormat'),
      modalities: {
        type: nullable('array'),
        maxItems: MAX_MODALITIES,
        items: { type: 'string' },
        description:
          'Output modalities. Set to `["image","text"]` automatically for image-output aliases unless given.',
      },
    },
    ['model', 'messages'],
    {
      // vLLM and OpenAI refuse `stream_options` on a non-streamed request. Written as an
      // object-level `anyOf` (not `if`/`then`) so generated clients type it too; the
      // `stream_options` branch comes first so its error is the one reported.
      anyOf: [
        {
          properties: {
            stream_options: coded(
              'invalid_value',
              'only allowed with `stream: true` (set `stream: true`, or leave `stream_options` out)',
              { type: 'null' },
            ),
          },
        },
        { required: ['stream'], properties: { stream: { const: true } } },
      ],
    },
  ),
  $defs: {
    ...FORWARDED_DEFS,
    ChatCompletionRequestMessage: {
      type: 'object',
      discriminator: { propertyName: 'role' },
      oneOf: [
        ref('ChatCompletionRequestSystemMessage'),
        ref('ChatCompletionRequestDeveloperMessage'),
        ref('ChatCompletionRequestUserMessage'),
        ref('ChatCompletionRequestAssistantMessage'),
        ref('ChatCompletionRequestToolMessage'),
        ref('ChatCompletionRequestFunctionMessage'),
      ],
    },
    ChatCompletionRequestSystemMessage: message('system', { content: textContent, name }, [
      'content',
    ]),
    ChatCompletionRequestDeveloperMessage: message('developer', { content: textContent, name }, [
      'content',
    ]),
    ChatCompletionRequestUserMessage: message('user', { content: userContent, name }, ['content']),
    ChatCompletionRequestAssistantMessage: message(
      'assistant',
      {
        content: {
          anyOf: [assistantContent, { type: 'null' }],
          description: 'Required unless `tool_calls` or `function_call` is given.',
        },
        name,
        refusal: { type: nullable('string') },
        tool_calls: { type: 'array', items: ref('ChatCompletionMessageToolCall') },
        function_call: {
          anyOf: [ref('ChatCompletionFunctionCall'), { type: 'null' }],
          description: 'Deprecated: use `tool_calls`.',
        },
      },
      [],
      {
        description:
          'An assistant turn: `content`, or `tool_calls` (at least one), or the legacy `function_call`.',
        anyOf: [
          { required: ['content'], properties: { content: assistantContent } },
          {
            required: ['tool_calls'],
            properties: {
              tool_calls: {
                type: 'array',
                minItems: 1,
                items: ref('ChatCompletionMessageToolCall'),
              },
            },
          },
          {
            required: ['function_call'],
            properties: { function_call: ref('ChatCompletionFunctionCall') },
          },
        ],
      },
    ),
    ChatCompletionRequestToolMessage: message(
      'tool',
      {
        content: textContent,
        tool_call_id: {
          type: 'string',
          minLength: 1,
          description: 'The `id` of the tool call this message answers.',
        },
      },
      ['content', 'tool_call_id'],
    ),
    ChatCompletionRequestFunctionMessage: message(
      'function',
      { content: { type: nullable('string') }, name: { type: 'string' } },
      ['content', 'name'],
      { description: 'Deprecated: use a `tool` message.' },
    ),
    ChatCompletionRequestMessageContentPartText: part(
      'text',
      { type: 'string' },
      'A piece of text.',
    ),
    ChatCompletionRequestMessageContentPartRefusal: part(
      'refusal',
      { type: 'string' },
      'A refusal the model gave earlier.',
    ),
    ChatCompletionRequestMessageContentPartImage: part(
      'image_url',
      forwardedObject(
        {
          url: {
            ...imageDataUri(
              `A base64 \`data:image/<${RASTER_IMAGE_TYPES.join('|')}>;base64,\` URI. Any other URL is ` +
                'refused with `image_url_not_supported`: the gateway never fetches URLs.',
            ),
            examples: [TINY_PNG_DATA_URI],
          },
          detail: { type: 'string', enum: ['auto', 'low', 'high'] },
        },
        ['url'],
      ),
      'An inline image. Only aliases with vision take it.',
    ),
    ChatCompletionRequestMessageContentPartAudio: part(
      'input_audio',
      forwardedObject(
        {
          format: { type: 'string', enum: [...AUDIO_FORMATS] },
          data: coded('invalid_value', 'expected base64-encoded audio bytes', {
            type: 'string',
            format: DATA_URI_FORMATS.base64,
          }),
        },
        ['data', 'format'],
      ),
      'Inline audio, base64. Only aliases that take audio accept it.',
    ),
    ChatCompletionRequestMessageContentPartVideo: part(
      'video_url',
      forwardedObject(
        {
          url: coded(
            'invalid_value',
            'must be a base64 data: URI (data:video/<type>;base64,...); the gateway never fetches URLs',
            { type: 'string', format: DATA_URI_FORMATS.video },
          ),
        },
        ['url'],
      ),
      'An inline video (vLLM extension). Only aliases that take video accept it.',
    ),
    ChatCompletionRequestMessageContentPartFile: part(
      'file',
      {
        type: 'object',
        description:
          'A file, inline. `file_id` (a file stored at OpenAI) is refused: the gateway stores no files.',
        allOf: [
          {
            properties: {
              file_id: coded(
                'unsupported_parameter',
                'the gateway stores no files; send the bytes as file_data',
                { not: {} },
              ),
            },
          },
        ],
        required: ['file_data'],
        properties: {
          file_data: coded(
            'invalid_value',
            'must be a base64 data: URI (data:<media type>;base64,...)',
            { type: 'string', format: DATA_URI_FORMATS.any },
          ),
          filename: coded('invalid_type', 'expected a string', { type: 'string' }),
        },
        additionalProperties: coded(
          'unknown_parameter',
          'not a field of a file part (file_data, filename)',
          { not: {} },
        ),
      },
      'A file, inline (PDF and the like).',
    ),
    ChatCompletionMessageToolCall: forwardedObject(
      {
        id: { type: 'string', minLength: 1 },
        type: { type: 'string', const: 'function' },
        function: ref('ChatCompletionFunctionCall'),
      },
      ['id', 'type', 'function'],
      { description: 'A tool call the model made earlier.' },
    ),
    ChatCompletionFunctionCall: forwardedObject(
      {
        name: { type: 'string', minLength: 1 },
        arguments: { type: 'string', description: 'The arguments, as a JSON text.' },
      },
      ['name', 'arguments'],
    ),
    ChatCompletionTool: forwardedObject(
      { type: { type: 'string', const: 'function' }, function: ref('FunctionObject') },
      ['type', 'function'],
    ),
    FunctionObject: forwardedObject(
      {
        name: { type: 'string', minLength: 1, maxLength: 64, examples: ['get_weather'] },
        description: { type: 'string' },
        parameters: ref('ClientJsonSchema'),
        strict: { type: nullable('boolean') },
      },
      ['name'],
    ),
    ChatCompletionToolChoiceOption: {
      description:
        '`none`, `auto`, `required`, or an object naming a tool: `{"type":"function","function":{"name":"…"}}`.',
      anyOf: [
        { type: 'string', enum: ['none', 'auto', 'required'] },
        forwardedObject({ type: { type: 'string' } }, ['type']),
      ],
    },
    ChatCompletionStreamOptions: forwardedObject(
      {
        include_usage: {
          type: 'boolean',
          description: 'Send a last chunk with token usage before `data: [DONE]`.',
        },
      },
      [],
      { description: 'Only with `stream: true`.' },
    ),
    ResponseFormat: {
      type: 'object',
      description:
        'The output format: `text`, `json_object`, or `json_schema` with the schema to follow.',
      discriminator: { propertyName: 'type' },
      oneOf: [
        ref('ResponseFormatText'),
        ref('ResponseFormatJsonObject'),
        ref('ResponseFormatJsonSchema'),
      ],
    },
    ResponseFormatText: forwardedObject({ type: { type: 'string', const: 'text' } }, ['type']),
    ResponseFormatJsonObject: forwardedObject({ type: { type: 'string', const: 'json_object' } }, [
      'type',
    ]),
    ResponseFormatJsonSchema: forwardedObject(
      {
        type: { type: 'string', const: 'json_schema' },
        json_schema: forwardedObject(
          {
            name: { type: 'string', minLength: 1, maxLength: 64 },
            description: { type: 'string' },
            schema: ref('ClientJsonSchema'),
            strict: { type: nullable('boolean') },
          },
          ['name'],
        ),
      },
      ['type', 'json_schema'],
    ),
  },
};
