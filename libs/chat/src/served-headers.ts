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
  [MEMBER_HEADER]: {
    description:
      "The alias whose hop served (a composite's member, e.g. nano-banana for image-gen).",
    schema: { type: 'string', example: 'nano-banana' },
  },
};
