import {
  DATA_URI_FORMATS,
  InvalidRequestError,
  RASTER_IMAGE_TYPES,
  ROUTING_CONTROL_KEYS,
  type JsonSchema,
} from '@app/contracts';

/** `[type, "null"]`: a field OpenAI lets clients send as `null`. */
export const nullable = (type: string): string[] => [type, 'null'];

/** A subschema whose failure is reported with `code` and `description` as its reason. */
export const coded = (code: string, description: string, schema: JsonSchema): JsonSchema => ({
  ...schema,
  'x-error-code': code,
  description,
});

/** A base64 image `data:` URI; any URL is `image_url_not_supported`, as on chat. */
export function imageDataUri(description: string): JsonSchema {
  return {
    type: 'string',
    description,
    allOf: [
      coded(
        'image_url_not_supported',
        'must be a base64 data: URI (data:image/<type>;base64,...); the gateway never fetches URLs',
        { pattern: '^[Dd][Aa][Tt][Aa]:' },
      ),
      coded(
        'invalid_image_data',
        `is not a valid image data URI: expected data:image/<${RASTER_IMAGE_TYPES.join('|')}>;base64,<base64 data>`,
        { format: DATA_URI_FORMATS.image },
      ),
    ],
  };
}

const ROUTING = new Set(ROUTING_CONTROL_KEYS);

/**
 * Top-level fields the schema does not declare, refused by name before validation: these routes
 * forward nothing they do not translate, so an unknown field would otherwise be silently dropped.
 */
export function refuseUndeclaredFields(body: Record<string, unknown>, schema: JsonSchema): void {
  const declared = schema.properties as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (Object.hasOwn(declared, key)) {
      continue;
    }
    throw new InvalidRequestError(
      ROUTING.has(key)
        ? `"${key}" is not accepted: routing, credentials and fallbacks are chosen by the gateway.`
        : `Unsupported parameter: '${key.slice(0, 64)}' is not supported on this route.`,
      key.slice(0, 256),
      'unsupported_parameter',
    );
  }
}
