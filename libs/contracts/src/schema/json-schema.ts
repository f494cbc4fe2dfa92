import { DATA_URI_FORMATS, RASTER_IMAGE_TYPES } from './data-uri';

/** A JSON Schema (draft 2020-12) document or subschema, as plain data. */
export type JsonSchema = { [keyword: string]: unknown };

/** Keys that could reach an object's prototype if a consumer merged the body naively. */
export const PROTOTYPE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/**
 * Fields that would pick the upstream, its credentials or its fallbacks (LiteLLM's client-side
 * routing parameters, OpenRouter's `provider`). Routing is the gateway's job: refused at any depth.
 */
export const ROUTING_CONTROL_KEYS: readonly string[] = [
  'api_base',
  'base_url',
  'api_key',
  'api_version',
  'custom_llm_provider',
  'extra_headers',
  'user_config',
  'fallbacks',
  'context_window_fallbacks',
  'content_policy_fallbacks',
  'model_list',
  'provider',
];

/** `[type, "null"]`: a field OpenAI lets clients send as `null`. */
export const nullable = (type: string): string[] => [type, 'null'];

/** A subschema whose failure is reported with `code` and the `description` as its reason. */
export const coded = (code: string, description: string, schema: JsonSchema): JsonSchema => ({
  ...schema,
  'x-error-code': code,
  description,
});

/**
 * An inline image, on every route: only a base64 raster-image `data:` URI. Any other URL is
 * `image_url_not_supported` (the gateway never fetches one), a malformed URI `invalid_image_data`.
 */
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

/** `{ $ref }` to a definition of the same document (`#/$defs/<name>`). */
export function ref(name: string): JsonSchema {
  return { $ref: `#/$defs/${name}` };
}

const escape = (key: string): string => key.replace(/[$^.*+?()[\]{}|\\]/g, '\\$&');
const alternation = (keys: readonly string[]): string => `^(?:${keys.map(escape).join('|')})$`;

/**
 * `patternProperties` that refuse keys by name: prototype keys (`forbidden_key`) and, unless
 * `routing` is false, routing-control keys (`unsupported_parameter`). Written this way rather than
 * as `propertyNames` because client generators keep the declared properties next to it (with
 * `propertyNames` some turn the whole object into a map of its key type).
 */
export function forbiddenKeys(routing = true): JsonSchema {
  return {
    [alternation(PROTOTYPE_KEYS)]: {
      not: {},
      'x-error-code': 'forbidden_key',
      description: 'is not allowed anywhere in the body (a prototype key)',
    },
    ...(routing
      ? {
          [alternation(ROUTING_CONTROL_KEYS)]: {
            not: {},
            'x-error-code': 'unsupported_parameter',
            description:
              'is not accepted: routing, credentials and fallbacks are chosen by the gateway',
          },
        }
      : {}),
  };
}

/**
 * The definitions every gateway request schema shares: what any JSON value the gateway forwards
 * untouched may hold (no routing-control or prototype key at any depth), and a client's own JSON
 * Schema (a tool's `parameters`), where routing-named properties are the client's data.
 * An error raised under a subschema carrying `x-error-code` is reported with that code.
 */
export const FORWARDED_DEFS: Record<string, JsonSchema> = {
  ForwardedValue: {
    description:
      'Any JSON value, forwarded untouched. No object inside it may hold a routing-control key ' +
      '(`api_base`, `base_url`, `api_key`, `provider`, `fallbacks`, …) or a prototype key.',
    patternProperties: forbiddenKeys(),
    additionalProperties: ref('ForwardedValue'),
    items: ref('ForwardedValue'),
  },
  ClientJsonSchema: {
    description:
      "The client's own JSON Schema (e.g. a tool's arguments), forwarded untouched; its property " +
      'names are free, save prototype keys.',
    type: 'object',
    patternProperties: forbiddenKeys(false),
    additionalProperties: ref('ClientJsonValue'),
  },
  ClientJsonValue: {
    patternProperties: forbiddenKeys(false),
    additionalProperties: ref('ClientJsonValue'),
    items: ref('ClientJsonValue'),
  },
};

/**
 * An object schema whose undeclared properties are forwarded untouched (vendor fields such as
 * `top_k` or `chat_template_kwargs`), save routing-control and prototype keys.
 */
export function forwardedObject(
  properties: Record<string, JsonSchema>,
  required: readonly string[] = [],
  extra: JsonSchema = {},
): JsonSchema {
  return {
    type: 'object',
    ...(required.length > 0 ? { required: [...required] } : {}),
    properties,
    patternProperties: forbiddenKeys(),
    additionalProperties: ref('ForwardedValue'),
    ...extra,
  };
}
