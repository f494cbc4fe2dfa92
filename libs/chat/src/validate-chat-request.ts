import {
  compileRequestValidator,
  CREATE_CHAT_COMPLETION_REQUEST_SCHEMA,
  InvalidRequestError,
  isImageDataUri,
  RASTER_IMAGE_TYPES,
  ROUTING_CONTROL_KEYS as ROUTING_CONTROL_KEY_LIST,
  type ChatCompletionRequest,
} from '@app/contracts';

/**
 * Validates a parsed chat completion body against the published request schema
 * ({@link CREATE_CHAT_COMPLETION_REQUEST_SCHEMA}, compiled once) and returns it unchanged (same
 * object: vendor fields intact, nothing stripped or coerced), or throws an `InvalidRequestError`
 * whose `param` is the exact path of the first bad field. Model-independent: per-model rules live
 * in constraints.
 */
export const validateChatRequest: (body: unknown) => ChatCompletionRequest =
  compileRequestValidator<ChatCompletionRequest>(CREATE_CHAT_COMPLETION_REQUEST_SCHEMA);

/** Routing-control keys, refused at any depth (also by the request schema's `propertyNames`). */
export const ROUTING_CONTROL_KEYS: ReadonlySet<string> = new Set(ROUTING_CONTROL_KEY_LIST);

/**
 * The chat schema's image rule for a URL found elsewhere (another route's body): only a base64
 * raster-image data URI; anything else is `image_url_not_supported` or `invalid_image_data`.
 */
export function checkImageUrl(url: string, param: string): void {
  if (url.slice(0, 5).toLowerCase() !== 'data:') {
    throw new InvalidRequestError(
      `Invalid value for '${param}': must be a base64 data: URI (data:image/<type>;base64,...); the gateway never fetches URLs.`,
      param,
      'image_url_not_supported',
    );
  }
  if (!isImageDataUri(url)) {
    throw new InvalidRequestError(
      `Invalid value for '${param}': is not a valid image data URI: expected data:image/<${RASTER_IMAGE_TYPES.join('|')}>;base64,<base64 data>.`,
      param,
      'invalid_image_data',
    );
  }
}
