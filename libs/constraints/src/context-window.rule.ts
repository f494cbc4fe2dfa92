import { ConstraintViolationError, type ChatCompletionRequest } from '@app/contracts';

/** Rough characters per token of prose; real tokenizers give about this or more tokens. */
export const CHARS_PER_TOKEN = 4;
/** Flat cost of one image, audio, video or file part: its base64 length says little about tokens. */
export const MEDIA_PART_TOKENS = 1_024;
/** Per-message framing (role and separators). */
const MESSAGE_OVERHEAD_TOKENS = 4;

/** A cheap estimate of the prompt's tokens: text length / 4, a flat cost per media part. */
export function estimatePromptTokens(req: ChatCompletionRequest): number {
  let chars = 0;
  let tokens = 0;
  for (const message of req.messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS;
    const { content } = message;
    if (typeof content === 'string') {
      chars += content.length;
    } else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === 'text') {
          chars += part.text.length;
        } else {
          tokens += MEDIA_PART_TOKENS;
        }
      }
    }
  }
  return tokens + Math.ceil(chars / CHARS_PER_TOKEN);
}

/** The completion tokens a request asks room for. */
export function requestedCompletion(req: ChatCompletionRequest): number {
  return Math.max(req.max_completion_tokens ?? 0, req.max_tokens ?? 0);
}

/** Whether a hop whose build has `window` tokens can take the estimated prompt plus the completion asked for. */
export function fitsContextWindow(
  window: number,
  promptTokens: number,
  req: ChatCompletionRequest,
): boolean {
  return promptTokens + requestedCompletion(req) <= window;
}

/** The refusal when no hop can take the request: names the largest window there is. */
export function contextLengthExceeded(
  largestWindow: number,
  promptTokens: number,
  req: ChatCompletionRequest,
): ConstraintViolationError {
  const completion = requestedCompletion(req);
  return new ConstraintViolationError(
    'context_length_exceeded',
    `This model's maximum context length is ${largestWindow} tokens; the request is ` +
      `estimated at ${promptTokens} prompt tokens${completion > 0 ? ` plus ${completion} requested completion tokens` : ''}.`,
    'messages',
  );
}
