import {
  FORWARDED_DEFS,
  forbiddenKeys,
  imageDataUri,
  MAX_CONTENT_PARTS,
  MAX_MESSAGES,
  MAX_MODEL_LENGTH,
  MAX_TOKENS_CAP,
  MAX_TOOLS,
  nullable,
  ref,
  TINY_PNG_DATA_URI,
  type JsonSchema,
} from '@app/contracts';

/** The schema name of the Responses request, in the OpenAPI document. */
export const RESPONSES_REQUEST_SCHEMA_NAME = 'CreateResponseRequest';

const tagged = (
  type: string,
  properties: JsonSchema,
  required: string[],
  description: string,
): JsonSchema => ({
  type: 'object',
  description,
  properties: { type: { type: 'string', const: type }, ...properties },
  required: ['type', ...required],
  additionalProperties: false,
});

/** The named branches of the schema's tagged unions, published as components of their own. */
const RESPONSE_DEFS: Record<string, JsonSchema> = {};

/**
 * A union tagged by `type` whose branches are named schemas (`$ref`s), as OpenAPI's
 * `discriminator` requires: an inline branch is one a discriminator cannot select.
 */
function discriminated(branches: Record<string, JsonSchema>): JsonSchema {
  Object.assign(RESPONSE_DEFS, branches);
  return {
    type: 'object',
    discriminator: { propertyName: 'type' },
    oneOf: Object.keys(branches).map((name) => ref(name)),
  };
}

const contentPart: JsonSchema = discriminated({
  ResponseInputText: tagged('input_text', { text: { type: 'string' } }, ['text'], 'Text.'),
  ResponseInputImage: tagged(
    'input_image',
    {
      image_url: imageDataUri('A base64 `data:image/<type>;base64,…` URI; URLs are refused.'),
      file_id: { type: nullable('string'), description: 'Refused unless null: no file store.' },
      detail: { type: 'string', enum: ['low', 'high', 'auto'] },
    },
    [],
    'An image, inline as base64.',
  ),
  ResponseInputFile: {
    type: 'object',
    description: 'Refused with 400: the gateway has no file store.',
    properties: { type: { type: 'string', const: 'input_file' } },
    required: ['type'],
  },
  ResponseOutputText: tagged(
    'output_text',
    {
      text: { type: 'string' },
      annotations: { type: 'array', items: {} },
      logprobs: { type: 'array', items: {} },
    },
    ['text'],
    'Text of an earlier assistant turn.',
  ),
  ResponseRefusal: tagged(
    'refusal',
    { refusal: { type: 'string' } },
    ['refusal'],
    'A refusal the model gave earlier.',
  ),
});

const contentOf = (description: string): JsonSchema => ({
  description,
  anyOf: [{ type: 'string' }, { type: 'array', maxItems: MAX_CONTENT_PARTS, items: contentPart }],
});

/** Item types of the Responses API the gateway cannot take (stored state, hosted tools): refused by name. */
export const REFUSED_ITEM_TYPES = [
  'item_reference',
  'image_generation_call',
  'web_search_call',
  'file_search_call',
  'computer_call',
  'computer_call_output',
  'code_interpreter_call',
  'local_shell_call',
  'local_shell_call_output',
  'shell_call',
  'shell_call_output',
  'apply_patch_call',
  'apply_patch_call_output',
  'mcp_list_tools',
  'mcp_approval_request',
  'mcp_approval_response',
  'mcp_call',
  'custom_tool_call',
  'custom_tool_call_output',
  'compaction',
] as const;

const inputItem: JsonSchema = discriminated({
  ResponseInputMessage: tagged(
    'message',
    {
      id: { type: 'string', maxLength: 256 },
      status: { type: 'string' },
      role: { type: 'string', enum: ['user', 'assistant', 'system', 'developer'] },
      content: contentOf(
        'A string, or `input_text` / `input_image` / `output_text` / `refusal` parts.',
      ),
      phase: { type: nullable('string') },
    },
    ['role', 'content'],
    'A message; `type` may be omitted (`{"role":"user","content":"hi"}`).',
  ),
  ResponseFunctionCallItem: tagged(
    'function_call',
    {
      id: { type: 'string', maxLength: 256 },
      call_id: { type: 'string', minLength: 1, maxLength: 256 },
      name: { type: 'string', minLength: 1, maxLength: 256 },
      arguments: { type: 'string' },
      status: { type: 'string' },
    },
    ['call_id', 'name', 'arguments'],
    'A function call the model made in an earlier turn.',
  ),
  ResponseFunctionCallOutputItem: tagged(
    'function_call_output',
    {
      id: { type: nullable('string'), maxLength: 256 },
      call_id: { type: 'string', minLength: 1, maxLength: 256 },
      output: contentOf('The result: a string, or text parts.'),
      status: { type: nullable('string') },
    },
    ['call_id', 'output'],
    "The caller's result of a function call.",
  ),
  ResponseReasoningItem: tagged(
    'reasoning',
    {
      id: { type: 'string', maxLength: 256 },
      summary: { type: 'array', items: { type: 'object' } },
      content: { type: 'array', items: { type: 'object' } },
      encrypted_content: { type: nullable('string') },
      status: { type: 'string' },
    },
    [],
    "A reasoning item from an earlier answer. Accepted so a conversation can be replayed as returned, and not sent on: earlier turns' thinking is dropped, as these models' chat templates drop it.",
  ),
  ResponseRefusedItem: {
    type: 'object',
    description:
      'Refused with 400: these items need stored state or tools the gateway does not host.',
    properties: { type: { type: 'string', enum: [...REFUSED_ITEM_TYPES] } },
    required: ['type'],
  },
});

const functionTool: JsonSchema = tagged(
  'function',
  {
    name: { type: 'string', minLength: 1, maxLength: 256, examples: ['get_weather'] },
    description: { type: nullable('string') },
    parameters: { anyOf: [ref('ClientJsonSchema'), { type: 'null' }] },
    strict: { type: nullable('boolean') },
  },
  ['name'],
  'A function the model may call. Built-in tools (`web_search`, `file_search`, …) are refused.',
);

const textFormat: JsonSchema = discriminated({
  ResponseTextFormatText: tagged('text', {}, [], 'Plain text (the default).'),
  ResponseTextFormatJsonObject: tagged(
    'json_object',
    {},
    [],
    'JSON mode: `response_format: {"type":"json_object"}` upstream.',
  ),
  ResponseTextFormatJsonSchema: tagged(
    'json_schema',
    {
      name: { type: 'string', minLength: 1, maxLength: 64 },
      schema: ref('ClientJsonSchema'),
      description: { type: nullable('string') },
      strict: { type: nullable('boolean') },
    },
    ['name', 'schema'],
    'Structured output: `response_format: {"type":"json_schema",…}` upstream.',
  ),
});

const namedFunction = tagged(
  'function',
  { name: { type: 'string' } },
  ['name'],
  'A function by name.',
);

/**
 * `POST /v1/responses`: the stateless part of OpenAI's Responses API that maps onto chat
 * completions. Fields that need stored state or hosted tools are refused by name before this
 * schema runs, as is any field it does not declare.
 */
export const CREATE_RESPONSE_REQUEST_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  description:
    'The stateless Responses API, translated to a chat completion and routed like one. Fields that need stored state or hosted tools are refused by name.',
  properties: {
    model: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_MODEL_LENGTH,
      examples: ['llama-4-scout'],
    },
    input: {
      description: 'A prompt string, or message / function_call / function_call_output items.',
      anyOf: [
        { type: 'string' },
        { type: 'array', minItems: 1, maxItems: MAX_MESSAGES, items: inputItem },
      ],
      examples: [
        'Why is the sky blue?',
        [
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_text', text: 'What is in this image?' },
              { type: 'input_image', image_url: TINY_PNG_DATA_URI },
            ],
          },
        ],
      ],
    },
    instructions: { type: nullable('string'), description: 'Sent as the first (system) message.' },
    tools: { type: 'array', maxItems: MAX_TOOLS, items: functionTool },
    tool_choice: {
      description: '`none`, `auto`, `required`, a function by name, or `allowed_tools`.',
      anyOf: [
        { type: 'string', enum: ['none', 'auto', 'required'] },
        namedFunction,
        tagged(
          'allowed_tools',
          {
            mode: { type: 'string', enum: ['auto', 'required'] },
            tools: { type: 'array', maxItems: MAX_TOOLS, items: namedFunction },
          },
          ['mode', 'tools'],
          'Restricts the model to some of the tools.',
        ),
      ],
    },
    parallel_tool_calls: { type: nullable('boolean') },
    text: {
      type: 'object',
      properties: {
        format: textFormat,
        verbosity: { type: nullable('string'), enum: ['low', 'medium', 'high', null] },
      },
      additionalProperties: false,
    },
    max_output_tokens: {
      type: nullable('integer'),
      minimum: 1,
      maximum: MAX_TOKENS_CAP,
      description:
        "Sent as `max_tokens`; below the model's `min_max_tokens` it is raised (reported in `x-rust-api-applied`).",
    },
    temperature: { type: nullable('number'), minimum: 0, maximum: 2 },
    top_p: { type: nullable('number'), minimum: 0, maximum: 1 },
    reasoning: {
      type: nullable('object'),
      properties: {
        effort: {
          type: nullable('string'),
          enum: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', null],
          description: 'Sent as `reasoning_effort`.',
        },
      },
      additionalProperties: false,
    },
    metadata: {
      type: nullable('object'),
      description: 'Up to 16 string pairs, echoed back on the response; never forwarded.',
      maxProperties: 16,
      patternProperties: forbiddenKeys(),
      additionalProperties: { type: 'string', maxLength: 512 },
    },
    stream: { type: nullable('boolean'), description: 'The Responses API event stream (SSE).' },
    stream_options: {
      type: nullable('object'),
      properties: { include_obfuscation: { type: 'boolean' } },
      additionalProperties: false,
    },
    store: {
      type: nullable('boolean'),
      description: 'Only `false` (or absent): the gateway stores no response; `true` is refused.',
    },
    truncation: {
      type: nullable('string'),
      enum: ['disabled', 'auto', null],
      description:
        'Only `disabled`: the gateway never drops input to make it fit; `auto` is refused.',
    },
    include: {
      type: nullable('array'),
      maxItems: 16,
      items: { type: 'string' },
      description:
        'Only `reasoning.encrypted_content` (no reasoning items are returned, so there is nothing to include).',
    },
    previous_response_id: {
      type: nullable('string'),
      description: 'Refused unless null: the gateway stores no responses.',
    },
    conversation: {
      type: nullable('string'),
      description: 'Refused unless null: the gateway stores no conversations.',
    },
    background: {
      type: nullable('boolean'),
      description: 'Refused when true: background responses need stored state.',
    },
    user: { type: 'string', maxLength: 256 },
    safety_identifier: { type: 'string', maxLength: 256 },
    prompt_cache_key: { type: 'string', maxLength: 256 },
    service_tier: { type: nullable('string'), enum: ['auto', 'default', 'flex', 'priority', null] },
  },
  required: ['model', 'input'],
  additionalProperties: false,
  $defs: { ...FORWARDED_DEFS, ...RESPONSE_DEFS },
};
