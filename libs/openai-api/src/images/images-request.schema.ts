import { coded, imageDataUri, MAX_MODEL_LENGTH, nullable, type JsonSchema } from '@app/contracts';

/** The schema names of the Images API requests, in the OpenAPI document. */
export const IMAGE_GENERATION_SCHEMA_NAME = 'CreateImageRequest';
export const IMAGE_EDIT_SCHEMA_NAME = 'CreateImageEditRequest';
export const IMAGE_EDIT_FORM_SCHEMA_NAME = 'CreateImageEditForm';

/** A rule on a value the API defines and the gateway does not offer (`unsupported_value`), with why. */
const unsupported = (rule: JsonSchema, reason: string): JsonSchema =>
  coded('unsupported_value', reason, rule);

const common: Record<string, JsonSchema> = {
  model: {
    type: 'string',
    minLength: 1,
    maxLength: MAX_MODEL_LENGTH,
    description: 'An image-output alias: `nano-banana`, `gpt-image` or `image-gen`.',
    examples: ['nano-banana'],
  },
  prompt: { type: 'string', minLength: 1, maxLength: 32000, examples: ['A red fox in the snow'] },
  n: {
    type: nullable('integer'),
    minimum: 1,
    maximum: 10,
    description: 'Images per request: the image aliases make one.',
    allOf: [
      unsupported(
        { maximum: 1 },
        'only 1: the image models behind the gateway make one image per request (send n: 1, or omit it, and make several requests)',
      ),
    ],
  },
  size: {
    type: nullable('string'),
    maxLength: 32,
    description: 'Passed to the backend as `image_config.size` (`auto` sends nothing).',
    examples: ['1024x1024'],
  },
  quality: {
    type: nullable('string'),
    enum: ['auto', 'low', 'medium', 'high', 'xhigh', 'max', 'standard', 'hd', null],
    description: 'Passed to the backend as `image_config.quality` (`auto` sends nothing).',
  },
  output_format: {
    type: nullable('string'),
    enum: ['png', 'jpeg', 'webp', null],
    description: 'Passed to the backend as `image_config.output_format`.',
  },
  background: {
    type: nullable('string'),
    enum: ['transparent', 'opaque', 'auto', null],
    description: 'Passed to the backend as `image_config.background` (`auto` sends nothing).',
  },
  response_format: {
    type: nullable('string'),
    enum: ['b64_json', 'url', null],
    description: 'Only `b64_json` (the default).',
    allOf: [
      unsupported(
        { not: { const: 'url' } },
        'only `b64_json`: the gateway stores no images, so it has no URL to give',
      ),
    ],
  },
  stream: {
    type: nullable('boolean'),
    description: 'Only `false`.',
    allOf: [
      unsupported(
        { not: { const: true } },
        'only `false`: the backends deliver the finished image only, so there are no partial images to stream (omit stream)',
      ),
    ],
  },
  user: { type: 'string', maxLength: 256 },
};

/** `POST /v1/images/generations`, the OpenAI Images API for the image-output aliases. */
export const IMAGE_GENERATION_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: common,
  required: ['model', 'prompt'],
  additionalProperties: false,
};

/** Most input images one edit may carry. */
export const MAX_EDIT_IMAGES = 16;

/**
 * `POST /v1/images/edits` as JSON (OpenAI's JSON form of the edit request): the input images as
 * base64 `data:` URIs in `images[].image_url`. Masks are refused. The multipart form
 * ({@link IMAGE_EDIT_FORM_SCHEMA}) is read into this shape.
 */
export const IMAGE_EDIT_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    ...common,
    images: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_EDIT_IMAGES,
      items: {
        type: 'object',
        properties: {
          image_url: imageDataUri('A base64 `data:image/<type>;base64,…` URI; URLs are refused.'),
        },
        required: ['image_url'],
        additionalProperties: false,
      },
    },
  },
  required: ['model', 'prompt', 'images'],
  additionalProperties: false,
};

const { images: _jsonImages, ...formFields } = IMAGE_EDIT_SCHEMA.properties as Record<
  string,
  JsonSchema
>;

/**
 * `POST /v1/images/edits` as `multipart/form-data`, OpenAI's upload form (`client.images.edit`):
 * the JSON form's fields as text, the input images as `image` files. Published for the document;
 * the gateway reads the form into {@link IMAGE_EDIT_SCHEMA}'s shape and validates that.
 */
export const IMAGE_EDIT_FORM_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    image: {
      description:
        `The image(s) to edit: one \`image\` file, or up to ${MAX_EDIT_IMAGES} repeated \`image[]\` files. PNG, JPEG, ` +
        'WebP or GIF (recognised by their bytes; a part may also declare another raster `image/` type). A part ' +
        'declaring a non-image type, or bytes that are not an image, is refused with 400 `invalid_image_data`.',
      anyOf: [
        { type: 'string', format: 'binary' },
        {
          type: 'array',
          minItems: 1,
          maxItems: MAX_EDIT_IMAGES,
          items: { type: 'string', format: 'binary' },
        },
      ],
    },
    ...formFields,
  },
  required: ['model', 'prompt', 'image'],
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
    output_format: { type: 'string', examples: ['png'] },
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
