/**
 * Every `error.code` the gateway itself sends, with when. Published as the `GatewayErrorCode`
 * enum of the OpenAPI document; a route that adds a code adds it here. An upstream's own code
 * relayed on a 4xx (e.g. a provider's content-policy code) is outside this list.
 */
export const GATEWAY_ERROR_CODES: Readonly<Record<string, string>> = {
  invalid_json:
    'The body is not JSON (truncated, trailing comma, BOM, whitespace only, invalid UTF-8).',
  invalid_multipart:
    'A `multipart/form-data` body that is cut short, malformed, or has no boundary.',
  invalid_request_error: 'The JSON body is not an object, or a form has too many fields.',
  missing_required_parameter: 'A required field is absent; `param` is its path.',
  invalid_value: 'Wrong type or out of range; `param` is the path. No type coercion.',
  invalid_type:
    'A field of the wrong JSON type (e.g. a file part `filename`), or a form field sent as a file or the other way round.',
  unknown_parameter:
    'A field that is not part of an object the gateway reads closed (a file part).',
  unsupported_parameter:
    'A routing-control field at any depth, a parameter the serving hop refuses, or a feature the gateway does not offer.',
  unsupported_value:
    'A value the gateway does not offer for that field (e.g. an images `response_format: url`).',
  forbidden_key: '`__proto__`, `constructor` or `prototype` at any depth.',
  nesting_too_deep: 'The body is nested deeper than 32 levels.',
  too_many_values: 'The body holds more than 200,000 JSON values.',
  image_url_not_supported:
    'An `image_url` that is not a `data:` URI: the gateway never fetches URLs.',
  invalid_image_data:
    'A malformed image data URI (bad base64, a non-raster or non-image type), or an uploaded file that is not a raster image.',
  image_input_not_supported: 'An image part for an alias that cannot take images.',
  audio_input_not_supported: 'An audio part for an alias that cannot take audio.',
  video_input_not_supported: 'A video part for an alias that cannot take video.',
  tools_not_supported: '`tools` for an alias without tool support.',
  model_not_local: '`local_only` data policy, and the alias has no hop on the DGX.',
  model_not_image_capable: 'An images request for an alias that does not output images.',
  context_length_exceeded:
    'No hop can hold the request, or the upstream said so and no larger hop is left.',
  content_policy_violation: 'The provider refused the content (relayed, not failed over).',
  no_image_generated: 'The image model answered without an image.',
  missing_api_key: 'No `Authorization: Bearer` header (with `WWW-Authenticate: Bearer`).',
  invalid_api_key: 'An unknown, malformed or repeated key (with `WWW-Authenticate: Bearer`).',
  model_not_found: 'An unknown alias, or one the key may not use (the same answer for both).',
  not_found: 'An unknown path.',
  method_not_allowed: 'A method the path does not take (with `Allow`).',
  request_too_large: 'A body over the limit, declared or streamed.',
  unsupported_media_type:
    '`Content-Type` not `application/json` (nor `multipart/form-data` on `/v1/images/edits`), or any `Content-Encoding`.',
  rate_limit_exceeded:
    'A per-key limit, or every hop rate-limited by its provider (with `Retry-After`).',
  insufficient_quota: "The key's token budget for the day or month is spent (with `Retry-After`).",
  overloaded: 'The gateway is at its global capacity (with `Retry-After`).',
  limits_unavailable:
    'The limit store is unreachable and the failure policy is closed (with `Retry-After`).',
  local_backend_unavailable:
    '`local_only` data policy, and no local hop can serve now (with `Retry-After`).',
  upstream_unavailable: 'Every hop failed (502) or none was available (503), with `Retry-After`.',
  shutting_down:
    'The gateway is draining (with `Retry-After` and `Connection: close`); also a stream cut at the end of the grace period.',
  internal_error: 'An unexpected gateway failure; details are logged, never sent.',
  upstream_stream_interrupted:
    'Stream error event: the upstream connection closed or failed, or the stream ended without `[DONE]`.',
  upstream_timeout: 'Stream error event: no complete SSE line in time, or the stream ran too long.',
  upstream_response_too_large: 'Stream error event: one event or the whole stream over its cap.',
  upstream_error: 'Stream error event: the upstream sent an error event mid-stream.',
  upstream_invalid_response:
    'Stream error event: an event whose data is not JSON, or an encoded stream.',
};
