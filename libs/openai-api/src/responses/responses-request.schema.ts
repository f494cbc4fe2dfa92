import { MAX_CONTENT_PARTS, MAX_MESSAGES, MAX_TOKENS_CAP, MAX_TOOLS } from '@app/contracts';
import type { JsonSchema } from '../json-schema';

const text = (maxLength?: number): JsonSchema => ({
  type: 'string',
  ...(maxLength !== undefined && { maxLength }),
});

const inputText: JsonSchema = {
  type: 'object',
  properties: { type: { type: 'string', enum: ['input_text'] }, text: text() },
  required: ['type', 'text'],
  additionalProperties: false,
};

const inputImage: JsonSchema = {
  type: 'object',
  description:
    'An image as a base64 `data:image/<type>;base64,…` URI in `image_url`. URLs and `file_id` are refused: the gateway stores and fetches nothing.',
  properties: {
    type: { type: 'string', enum: ['input_image'] },
    image_url: text(),
    file_id: { type: 'string', nullable: true },
    detail: { type: 'string', enum: ['low', 'high', 'auto'] },
  },
  required: ['type'],
  additionalProperties: false,
};

const inputFile: JsonSchema = {
  type: 'object',
  description: 'Refused with 400: the gateway has no file store.',
  properties: { type: { type: 'string', enum: ['input_file'] } },
  required: ['type'],
};

const outputText: JsonSchema = {
  type: 'object',
  description: 'Text of an earlier assistant turn.',
  properties: {
    type: { type: 'string', enum: ['output_text'] },
    text: text(),
    annotations: { type: 'array' },
    logprobs: { type: 'array' },
  },
  required: ['type', 'text'],
  additionalProperties: false,
};

const refusal: JsonSchema = {
  type: 'object',
  properties: { type: { type: 'string', enum: ['refusal'] }, refusal: text() },
  required: ['type', 'refusal'],
  additionalProperties: false,
};

const contentPart: JsonSchema = {
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  oneOf: [inputText, inputImage, inputFile, outputText, refusal],
};

const messageItem: JsonSchema = {
  type: 'object',
  description: 'A message. `type` may be omitted (`{"role":"user","content":"hi"}`).',
  properties: {
    type: { type: 'string', enum: ['message'] },
    id: text(256),
    status: { type: 'string' },
    role: { type: 'string', enum: ['user', 'assistant', 'system', 'developer'] },
    content: {
      oneOf: [
        { type: 'string' },
        { type: 'array', items: contentPart, maxItems: MAX_CONTENT_PARTS },
      ],
    },
    phase: { type: 'string', nullable: true },
  },
  required: ['type', 'role', 'content'],
  additionalProperties: false,
};

const functionCallItem: JsonSchema = {
  type: 'object',
  description: 'A function call the model made in an earlier turn.',
  properties: {
    type: { type: 'string', enum: ['function_call'] },
    id: text(256),
    call_id: { type: 'string', minLength: 1, maxLength: 256 },
    name: { type: 'string', minLength: 1, maxLength: 256 },
    arguments: text(),
    status: { type: 'string' },
  },
  required: ['type', 'call_id', 'name', 'arguments'],
  additionalProperties: false,
};

const functionCallOutputItem: JsonSchema = {
  type: 'object',
  description: "The caller's result of a function call.",
  properties: {
    type: { type: 'string', enum: ['function_call_output'] },
    id: { type: 'string', nullable: true, maxLength: 256 },
    call_id: { type: 'string', minLength: 1, maxLength: 256 },
    output: {
      oneOf: [
        { type: 'string' },
        { type: 'array', items: contentPart, maxItems: MAX_CONTENT_PARTS },
      ],
    },
    status: { type: 'string', nullable: true },
  },
  required: ['type', 'call_id', 'output'],
  additionalProperties: false,
};

/** Item types of the Responses API the gateway cannot take (stored state, hosted tools): refused by name. */
export const REFUSED_ITEM_TYPES = [
  'item_reference',
  'reasoning',
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

const refusedItem: JsonSchema = {
  type: 'object',
  description:
    'Refused with 400: these items need stored state or tools the gateway does not host.',
  properties: { type: { type: 'string', enum: [...REFUSED_ITEM_TYPES] } },
  required: ['type'],
};

const functionTool: JsonSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['function'] },
    name: { type: 'string', minLength: 1, maxLength: 256 },
    description: { type: 'string', nullable: true },
    parameters: { type: 'object', nullable: true },
    strict: { type: 'boolean', nullable: true },
  },
  required: ['type', 'name'],
  additionalProperties: false,
};

const textFormat: JsonSchema = {
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  oneOf: [
    {
      type: 'object',
      properties: { type: { type: 'string', enum: ['text'] } },
      required: ['type'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: { type: { type: 'string', enum: ['json_object'] } },
      required: ['type'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['json_schema'] },
        name: { type: 'string', minLength: 1, maxLength: 64 },
        schema: { type: 'object' },
        description: { type: 'string', nullable: true },
        strict: { type: 'boolean', nullable: true },
      },
      required: ['type', 'name', 'schema'],
      additionalProperties: false,
    },
  ],
};

const toolChoice: JsonSchema = {
  oneOf: [
    { type: 'string', enum: ['none', 'auto', 'required'] },
    {
      type: 'object',
      properties: { type: { type: 'string', enum: ['function'] }, name: { type: 'string' } },
      required: ['type', 'name'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['allowed_tools'] },
        mode: { type: 'string', enum: ['auto', 'required'] },
        tools: {
          type: 'array',
          maxItems: MAX_TOOLS,
          items: {
            type: 'object',
            properties: { type: { type: 'string', enum: ['function'] }, name: { type: 'string' } },
            required: ['type', 'name'],
            additionalProperties: false,
          },
        },
      },
      required: ['type', 'mode', 'tools'],
      additionalProperties: false,
    },
  ],
};

/**
 * `POST /v1/responses`: the stateless part of OpenAI's Responses API that maps onto chat
 * completions. Fields that need stored state or hosted tools are refused by name before this
 * schema runs (see `REFUSED_FIELDS`); any other field not declared here is refused too.
 */
export const RESPONSES_REQUEST_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'CreateResponseRequest',
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 256, example: 'llama-4-scout' },
    input: {
      description: 'A prompt string, or message / function_call / function_call_output items.',
      oneOf: [
        { type: 'string' },
        {
          type: 'array',
          minItems: 1,
          maxItems: MAX_MESSAGES,
          items: {
            type: 'object',
            discriminator: { propertyName: 'type' },
            required: ['type'],
            oneOf: [messageItem, functionCallItem, functionCallOutputItem, refusedItem],
          },
        },
      ],
    },
    instructions: { type: 'string', nullable: true },
    tools: { type: 'array', maxItems: MAX_TOOLS, items: functionTool },
    tool_choice: toolChoice,
    parallel_tool_calls: { type: 'boolean', nullable: true },
    text: {
      type: 'object',
      properties: {
        format: textFormat,
        verbosity: { type: 'string', enum: ['low', 'medium', 'high'], nullable: true },
      },
      additionalProperties: false,
    },
    max_output_tokens: { type: 'integer', minimum: 1, maximum: MAX_TOKENS_CAP, nullable: true },
    temperature: { type: 'number', minimum: 0, maximum: 2, nullable: true },
    top_p: { type: 'number', minimum: 0, maximum: 1, nullable: true },
    reasoning: {
      type: 'object',
      nullable: true,
      properties: {
        effort: {
          type: 'string',
          enum: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'],
          nullable: true,
        },
      },
      additionalProperties: false,
    },
    metadata: {
      type: 'object',
      nullable: true,
      description: 'Up to 16 string pairs, echoed back on the response; never forwarded.',
      maxProperties: 16,
      additionalProperties: { type: 'string', maxLength: 512 },
    },
    stream: { type: 'boolean', nullable: true },
    stream_options: {
      type: 'object',
      nullable: true,
      properties: { include_obfuscation: { type: 'boolean' } },
      additionalProperties: false,
    },
    store: {
      type: 'boolean',
      nullable: true,
      description: 'Only `false` (or absent): the gateway stores no response; `true` is refused.',
    },
    truncation: {
      type: 'string',
      enum: ['disabled', 'auto'],
      nullable: true,
      description:
        'Only `disabled`: the gateway never drops input to make it fit; `auto` is refused.',
    },
    include: {
      type: 'array',
      nullable: true,
      maxItems: 16,
      description:
        'Only `reasoning.encrypted_content` (no reasoning items are returned, so there is nothing to include); others are refused.',
      items: { type: 'string' },
    },
    previous_response_id: {
      type: 'string',
      nullable: true,
      description: 'Refused unless null: the gateway stores no responses.',
    },
    conversation: {
      type: 'string',
      nullable: true,
      description: 'Refused unless null: the gateway stores no conversations.',
    },
    background: {
      type: 'boolean',
      nullable: true,
      description: 'Refused when true: background responses need stored state.',
    },
    user: { type: 'string', maxLength: 256 },
    safety_identifier: { type: 'string', maxLength: 256 },
    prompt_cache_key: { type: 'string', maxLength: 256 },
    service_tier: { type: 'string', enum: ['auto', 'default', 'flex', 'priority'], nullable: true },
  },
  required: ['model', 'input'],
  additionalProperties: false,
};
