import { ApiHeader } from '@nestjs/swagger';
import { DATA_POLICY_HEADER } from './chat-call';
import {
  APPLIED_HEADER,
  BACKEND_HEADER,
  FALLBACKS_HEADER,
  MEMBER_HEADER,
  SKIPPED_HEADER,
} from './chat.service';

/** The request header by which a call keeps its prompt on the DGX (chat, responses, images). */
export const ApiDataPolicyHeader = (): MethodDecorator & ClassDecorator =>
  ApiHeader({
    name: DATA_POLICY_HEADER,
    required: false,
    enum: ['local-only', 'any'],
    description:
      '`local-only`: route only to hops whose data stays on the DGX (400 `model_not_local` when the alias has none, ' +
      "503 `local_backend_unavailable` when it is down; never a cloud backend). It can only tighten the key's " +
      '`data_policy`, never loosen it; `any` is the default. Any other value: 400.',
  });

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
  [SKIPPED_HEADER]: {
    description:
      'Hops not tried, as `backend=reason`, comma-separated (`data_policy`: not local under a local-only policy; `context_window`: the prompt does not fit its window). Absent when none.',
    schema: { type: 'string', example: 'vllm=context_window' },
  },
  [DATA_POLICY_HEADER]: {
    description: "`local-only` when a local-only data policy (the key's or the request's) applied.",
    schema: { type: 'string', enum: ['local-only'] },
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
