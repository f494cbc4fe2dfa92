import type { JsonSchema } from '../json-schema';

const common: Record<string, JsonSchema> = {
  model: {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    description: 'An image-output alias: `nano-banana`, `gpt-image` or `image-gen`.',
    example: 'nano-banana',
  },
  prompt: { type: 'string', minLength: 1, maxLength: 32000, example: 'A red fox in the snow' },
  n: {
    type: 'integer',
    minimum: 1,
    maximum: 10,
    nullable: true,
    description:
      'Images per request: the image aliases make one; a larger `n` is refused with 400.',
  },
  size: {
    type: 'string',
    maxLength: 32,
    nullable: true,
    description: 'Passed to the backend as `image_config.size` (`auto` sends nothing).',
    example: '1024x1024',
  },
  quality: {
    type: 'string',
    enum: ['auto', 'low', 'medium', 'high', 'xhigh', 'max', 'standard', 'hd'],
    nullable: true,
    description: 'Passed to the backend as `image_config.quality` (`auto` sends nothing).',
  },
  output_format: {
    type: 'string',
    enum: ['png', 'jpeg', 'webp'],
    nullable: true,
    description: 'Passed to the backend as `image_config.output_format`.',
  },
  background: {
    type: 'string',
    enum: ['transparent', 'opaque', 'auto'],
    nullable: true,
    description: 'Passed to the backend as `image_config.background` (`auto` sends nothing).',
  },
  response_format: {
    type: 'string',
    enum: ['b64_json', 'url'],
    nullable: true,
    description:
      'Only `b64_json` (the default): the gateway stores nothing, so it has no URL to give; `url` is refused with 400.',
  },
  stream: {
    type: 'boolean',
    nullable: true,
    description: 'Only `false`: partial-image streams are refused with 400.',
  },
  user: { type: 'string', maxLength: 256 },
};

/** `POST /v1/images/generations`, the OpenAI Images API for the image-output aliases. */
export const IMAGE_GENERATION_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'CreateImageRequest',
  properties: common,
  required: ['model', 'prompt'],
  additionalProperties: false,
};

/** Most input images one edit may carry. */
export const MAX_EDIT_IMAGES = 16;

/**
 * `POST /v1/images/edits` as JSON (OpenAI's JSON form of the edit request): the input images as
 * base64 `data:` URIs in `images[].image_url`. Multipart uploads and masks are refused.
 */
export const IMAGE_EDIT_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'CreateImageEditRequest',
  properties: {
    ...common,
    images: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_EDIT_IMAGES,
      items: {
        type: 'object',
        properties: {
          image_url: {
            type: 'string',
            description: 'A base64 `data:image/<type>;base64,…` URI; URLs are refused.',
          },
        },
        required: ['image_url'],
        additionalProperties: false,
      },
    },
  },
  required: ['model', 'prompt', 'images'],
  additionalProperties: false,
};

/** The Images API answer: `{created, data: [{b64_json}], usage}`. */
export const IMAGES_RESPONSE_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'ImagesResponse',
  properties: {
    created: { type: 'integer' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          b64_json: { type: 'string', description: 'The image, base64 (no data: prefix).' },
        },
        required: ['b64_json'],
      },
    },
    output_format: { type: 'string', example: 'png' },
    usage: {
      type: 'object',
      properties: {
        input_tokens: { type: 'integer' },
        input_tokens_details: {
          type: 'object',
          properties: { text_tokens: { type: 'integer' }, image_tokens: { type: 'integer' } },
        },
        output_tokens: { type: 'integer' },
        total_tokens: { type: 'integer' },
      },
    },
  },
  required: ['created', 'data'],
};
