import {
  coded,
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
  before?: JsonSchema,
): JsonSchema => ({
  type: 'object',
  description,
  ...(before && { allOf: [before] }),
  properties: { type: { type: 'string', const: type }, ...properties },
  required: ['type', ...required],
  additionalProperties: false,
});

/**
 * A branch the API defines and the gateway refuses whole (stored state, hosted tools, files):
 * published so clients see why, and never valid (`not: {}`), so the document refuses it too.
 */
const refused = (types: string | readonly string[], reason: string): JsonSchema =>
  coded('unsupported_parameter', reason, {
    type: 'object',
    properties: {
      type: typeof types === 'string' ? { type: 'string', const: types } : { enum: [...types] },
    },
    required: ['type'],
    not: {},
  });

const STATELESS =
  'the gateway is stateless, it stores no responses or conversations; send the whole conversation in `input`';

/** A field whose values outside `schema` are features the gateway does not offer, with why. */
const unsupported = (schema: JsonSchema, reason: string): JsonSchema =>
  coded('unsupported_parameter', reason, schema);

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
      detail: { type: 'string', enum: ['low', 'high', 'auto'] },
      file_id: { type: nullable('string') },
    },
    ['image_url'],
    'An image, inline as base64.',
    // First, so a `file_id` is refused for what it is rather than as a missing `image_url`.
    {
      properties: {
        file_id: coded(
          'unsupported_parameter',
          'is not supported: the gateway has no file store. Inline the image as a base64 data: URI in image_url',
          { type: 'null' },
        ),
      },
    },
  ),
  ResponseInputFile: refused(
    'input_file',
    'input_file is not supported: the gateway has no file store and its backends take no files',
  ),
  ResponseOutputText: tagged(
    'output_text',
    {
      text: { type: 'string' },
      annotations: { type: 'array', items: ref('ClientJsonValue') },
      logprobs: { type: 'array', items: ref('ClientJsonValue') },
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

const contentOf = (description: string, parts: JsonSchema = contentPart): JsonSchema => ({
  description,
  anyOf: [{ type: 'string' }, { type: 'array', maxItems: MAX_CONTENT_PARTS, items: parts }],
});

/** Text parts only: what a chat tool result can carry. */
const textPart: JsonSchema = discriminated({
  ResponseInputText: RESPONSE_DEFS.ResponseInputText,
  ResponseOutputText: RESPONSE_DEFS.ResponseOutputText,
  ResponseRefusal: RESPONSE_DEFS.ResponseRefusal,
});

/** Item types of the Responses API the gateway cannot take (stored state, hosted tools). */
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

/** A part of an earlier answer the client replays; any JSON object, save prototype keys. */
const echoedObject: JsonSchema = {
  type: 'object',
  patternProperties: forbiddenKeys(false),
  additionalProperties: ref('ClientJsonValue'),
};

const messageFields: JsonSchema = {
  id: { type: 'string', maxLength: 256 },
  status: { type: 'string' },
  role: { type: 'string', enum: ['user', 'assistant', 'system', 'developer'] },
  content: contentOf(
    'A string, or `input_text` / `input_image` / `output_text` / `refusal` parts.',
  ),
  phase: { type: nullable('string') },
};

const typedItem: JsonSchema = discriminated({
  ResponseInputMessage: tagged('message', messageFields, ['role', 'content'], 'A message.'),
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
      output: contentOf('The result: a string, or text parts.', textPart),
      status: { type: nullable('string') },
    },
    ['call_id', 'output'],
    "The caller's result of a function call.",
  ),
  ResponseReasoningItem: tagged(
    'reasoning',
    {
      id: { type: 'string', maxLength: 256 },
      summary: { type: 'array', items: echoedObject },
      content: { type: 'array', items: echoedObject },
      encrypted_content: { type: nullable('string') },
      status: { type: 'string' },
    },
    [],
    "A reasoning item from an earlier answer. Accepted so a conversation can be replayed as returned, and not sent on: earlier turns' thinking is dropped, as these models' chat templates drop it.",
  ),
  ResponseRefusedItem: refused(
    REFUSED_ITEM_TYPES,
    'is not supported: the gateway is stateless and hosts no tools; send the whole conversation in `input` as messages and function calls',
  ),
});

RESPONSE_DEFS.ResponseEasyInputMessage = {
  type: 'object',
  description: 'A message without its `type` (`{"role":"user","content":"hi"}`).',
  // Fails first and shallow on a typed item, so the typed union's error is the one reported.
  not: { properties: { type: {} }, required: ['type'] },
  properties: messageFields,
  required: ['role', 'content'],
  additionalProperties: false,
};

/** An input item: typed, or a message with `type` left out. */
const inputItem: JsonSchema = { anyOf: [typedItem, ref('ResponseEasyInputMessage')] };

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
      properties: {
        include_obfuscation: unsupported(
          { type: 'boolean', enum: [false] },
          'only `false`: the gateway pads no delta events with an `obfuscation` field (omit it or send false)',
        ),
      },
      additionalProperties: false,
    },
    store: unsupported(
      { type: nullable('boolean'), enum: [false, null] },
      'only `false`: the gateway stores no responses (omit it or send false)',
    ),
    truncation: unsupported(
      { type: nullable('string'), enum: ['disabled', null] },
      'only `disabled`: the gateway never drops input to make it fit',
    ),
    include: {
      type: nullable('array'),
      maxItems: 16,
      items: unsupported(
        { type: 'string', enum: ['reasoning.encrypted_content'] },
        'only `reasoning.encrypted_content` (no reasoning items are returned, so there is nothing else to include)',
      ),
    },
    previous_response_id: unsupported({ type: 'null' }, `is not supported: ${STATELESS}`),
    conversation: unsupported({ type: 'null' }, `is not supported: ${STATELESS}`),
    background: unsupported(
      { type: nullable('boolean'), enum: [false, null] },
      `only \`false\`: background responses need stored state. ${STATELESS}`,
    ),
    user: { type: 'string', maxLength: 256 },
    safety_identifier: { type: 'string', maxLength: 256 },
    prompt_cache_key: { type: 'string', maxLength: 256 },
    service_tier: { type: nullable('string'), enum: ['auto', 'default', 'flex', 'priority', null] },
  },
  required: ['model', 'input'],
  additionalProperties: false,
  $defs: { ...FORWARDED_DEFS, ...RESPONSE_DEFS },
};
