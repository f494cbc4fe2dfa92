import { APPLIED_HEADER, BACKEND_HEADER, FALLBACKS_HEADER, MEMBER_HEADER } from './chat.service';

/** The response headers every routed answer carries (chat, responses, images), for the OpenAPI document. */
export const SERVED_HEADERS = {
  'x-request-id': {
    description:
      "The client's id when well-formed (1–128 of [A-Za-z0-9._:-]), else a generated one; also sent upstream.",
    schema: { type: 'string' },
  },
  [APPLIED_HEADER]: {
    description:
      'Constraint adjustments applied, comma-separated, e.g. `max_tokens_floored=200`. Absent when none.',
    schema: { type: 'string', example: 'max_tokens_floored=200' },
  },
  [BACKEND_HEADER]: {
    description: 'The backend that served the request.',
    schema: { type: 'string', example: 'vllm' },
  },
  [FALLBACKS_HEADER]: {
    description:
      'Backends that failed or were benched before it, comma-separated. Absent when none.',
    schema: { type: 'string', example: 'vllm' },
  },
  'x-ratelimit-limit-requests': {
    description:
      "The key's requests_per_minute (the tightest that applies, key-wide or per alias). Sent when the key has one; likewise the other five.",
    schema: { type: 'integer', example: 60 },
  },
  'x-ratelimit-remaining-requests': {
    description: 'Requests left of it now (it refills continuously).',
    schema: { type: 'integer', example: 59 },
  },
  'x-ratelimit-reset-requests': {
    description: 'Time until it is full again, e.g. `1s`, `6m0s`.',
    schema: { type: 'string', example: '1s' },
  },
  'x-ratelimit-limit-tokens': {
    description: "The key's tokens_per_minute (the tightest that applies).",
    schema: { type: 'integer', example: 100000 },
  },
  'x-ratelimit-remaining-tokens': {
    description: "Tokens left of it after this request's estimate.",
    schema: { type: 'integer', example: 99000 },
  },
  'x-ratelimit-reset-tokens': {
    description: 'Time until it is full again.',
    schema: { type: 'string', example: '600ms' },
  },
  [MEMBER_HEADER]: {
    description:
      "The alias whose hop served (a composite's member, e.g. nano-banana for image-gen).",
    schema: { type: 'string', example: 'nano-banana' },
  },
};
