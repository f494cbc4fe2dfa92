import {
  compileRequestValidator,
  InvalidRequestError,
  type ChatCompletionRequest,
  type ContentPart,
} from '@app/contracts';
import { refuseUndeclaredFields } from '../contract-fields';
import { IMAGE_EDIT_SCHEMA, IMAGE_GENERATION_SCHEMA } from './images-request.schema';
import type { ImagesRequest } from './images.types';

/** The two Images API requests the gateway serves: `/v1/images/generations` and `/v1/images/edits`. */
export type ImagesKind = 'generation' | 'edit';

/** An Images API request as the chat completion an image-output alias answers. */
export interface TranslatedImagesRequest {
  chat: ChatCompletionRequest;
  request: ImagesRequest;
  readonly paramOf: (chatParam: string | null) => string | null;
}

const validateGeneration: (body: unknown) => ImagesRequest =
  compileRequestValidator<ImagesRequest>(IMAGE_GENERATION_SCHEMA);
const validateEdit: (body: unknown) => ImagesRequest =
  compileRequestValidator<ImagesRequest>(IMAGE_EDIT_SCHEMA);

/** Image options the backend takes in OpenRouter's `image_config`; `auto` means "send nothing". */
const IMAGE_CONFIG = ['size', 'quality', 'output_format', 'background'] as const;

/**
 * Validates an images request and translates it to one chat completion: the prompt (and, for an
 * edit, the input images after it) as the user message, `size` / `quality` / `output_format` /
 * `background` in `image_config`. The schema refuses with 400 what the gateway cannot do: more
 * than one image per request, a `url` response (nothing is stored), streams.
 */
export function imagesToChat(body: unknown, kind: ImagesKind): TranslatedImagesRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  const raw = body as Record<string, unknown>;
  if (kind === 'edit') {
    refuseEditExtras(raw);
  }
  refuseUndeclaredFields(raw, kind === 'edit' ? IMAGE_EDIT_SCHEMA : IMAGE_GENERATION_SCHEMA);
  const request = kind === 'edit' ? validateEdit(raw) : validateGeneration(raw);
  const content: ContentPart[] = [{ type: 'text', text: request.prompt }];
  for (const image of request.images ?? []) {
    content.push({ type: 'image_url', image_url: { url: image.image_url } });
  }
  const chat: ChatCompletionRequest = {
    model: request.model,
    messages: [{ role: 'user', content: kind === 'edit' ? content : request.prompt }],
  };
  const config: Record<string, string> = {};
  for (const field of IMAGE_CONFIG) {
    const value = request[field];
    if (typeof value === 'string' && value !== 'auto') {
      config[field] = value;
    }
  }
  if (Object.keys(config).length > 0) {
    chat.image_config = config;
  }
  if (request.user !== undefined) {
    chat.user = request.user;
  }
  return { chat, request, paramOf: imagesParam };
}

function refuseEditExtras(body: Record<string, unknown>): void {
  if (body.mask !== undefined && body.mask !== null) {
    throw new InvalidRequestError(
      'mask is not supported: the image models behind the gateway edit from the prompt and the input images only.',
      'mask',
      'unsupported_parameter',
    );
  }
  if (body.image !== undefined) {
    throw new InvalidRequestError(
      'Send the input images as images: [{"image_url": "data:image/png;base64,…"}] in a JSON body.',
      'image',
      'unsupported_parameter',
    );
  }
}

/** `messages[0].content[2].image_url.url` → `images[1].image_url`; the prompt is `prompt`. */
function imagesParam(param: string | null): string | null {
  if (param === null) {
    return null;
  }
  const image = /^messages\[0\]\.content\[(\d+)\]/.exec(param);
  if (image && image[1] !== '0') {
    return `images[${Number(image[1]) - 1}].image_url`;
  }
  if (param.startsWith('messages')) {
    return 'prompt';
  }
  return param;
}
