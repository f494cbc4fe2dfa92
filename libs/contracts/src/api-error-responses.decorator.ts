import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto';

const EXAMPLES: Record<
  number,
  { description: string; examples: Record<string, [string, string, string | null, string]> }
> = {
  400: {
    description:
      'Invalid request (OpenAI error envelope; `param` is the exact path of the bad field)',
    examples: {
      image_url_not_supported: [
        'image_url must be a base64 data: URI; the gateway never fetches URLs.',
        'invalid_request_error',
        'messages[1].content[1].image_url.url',
        'image_url_not_supported',
      ],
      invalid_json: [
        'The request body is not valid JSON.',
        'invalid_request_error',
        null,
        'invalid_json',
      ],
      unsupported_parameter: [
        '"api_base" is not accepted: routing is the gateway\'s job.',
        'invalid_request_error',
        'api_base',
        'unsupported_parameter',
      ],
    },
  },
  401: {
    description: 'Missing or invalid API key (with `WWW-Authenticate: Bearer`)',
    examples: {
      missing_api_key: [
        'Missing API key: send it as "Authorization: Bearer <key>".',
        'authentication_error',
        null,
        'missing_api_key',
      ],
      invalid_api_key: ['Invalid API key.', 'authentication_error', null, 'invalid_api_key'],
    },
  },
  404: {
    description: 'Unknown model, or one the key may not use',
    examples: {
      model_not_found: [
        "The model 'gpt-9' does not exist or you do not have access to it.",
        'invalid_request_error',
        'model',
        'model_not_found',
      ],
    },
  },
  413: {
    description: 'Body over the limit',
    examples: {
      request_too_large: [
        'Request body exceeds the limit of 20971520 bytes.',
        'invalid_request_error',
        null,
        'request_too_large',
      ],
    },
  },
  415: {
    description: 'Body not application/json, or compressed',
    examples: {
      unsupported_media_type: [
        'Content-Type must be application/json.',
        'invalid_request_error',
        null,
        'unsupported_media_type',
      ],
    },
  },
  429: {
    description:
      'A per-key limit (or every backend of the chain) is rate-limited: back off for `Retry-After` ' +
      '(`retry-after-ms` in milliseconds). `insufficient_quota`: a day or month token budget is spent ' +
      '(`x-should-retry: false`).',
    examples: {
      rate_limit_exceeded: [
        "Rate limit reached: requests_per_minute (60) of key 'team-a'; retry after 2s.",
        'rate_limit_error',
        null,
        'rate_limit_exceeded',
      ],
      insufficient_quota: [
        "Token budget spent: tokens_per_day (1000000) of key 'team-a' is used up until 2026-12-03T00:00:00.000Z.",
        'insufficient_quota',
        null,
        'insufficient_quota',
      ],
    },
  },
  502: {
    description: 'Every backend of the chain failed',
    examples: {
      upstream_unavailable: [
        'No backend could serve the request; tried: vllm, ollama-cloud, openrouter.',
        'server_error',
        null,
        'upstream_unavailable',
      ],
    },
  },
  503: {
    description: 'No backend available, the gateway is at capacity, or it is draining',
    examples: {
      overloaded: [
        'The gateway is at capacity (256 requests are in flight); retry shortly or on another instance.',
        'server_error',
        null,
        'overloaded',
      ],
      shutting_down: [
        'The gateway is shutting down; retry on another instance.',
        'server_error',
        null,
        'shutting_down',
      ],
    },
  },
};

/** Documents the listed error statuses with the OpenAI envelope and named examples. */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: EXAMPLES[status]?.description ?? 'Error',
        type: ErrorResponseDto,
        examples: Object.fromEntries(
          Object.entries(EXAMPLES[status]?.examples ?? {}).map(
            ([name, [message, type, param, code]]) => [
              name,
              { summary: code, value: { error: { message, type, param, code } } },
            ],
          ),
        ),
      }),
    ),
  );
}
