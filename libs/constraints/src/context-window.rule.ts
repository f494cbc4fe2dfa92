import type { ModelEntry } from '@app/config';
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

/**
 * Refuses a request clearly over the alias's context window (estimated prompt plus the requested
 * completion tokens), so it is not sent along a chain where every hop would refuse it.
 */
export function checkContextWindow(entry: ModelEntry, req: ChatCompletionRequest): void {
  const prompt = estimatePromptTokens(req);
  const completion = Math.max(req.max_completion_tokens ?? 0, req.max_tokens ?? 0);
  if (prompt + completion > entry.context_window) {
    throw new ConstraintViolationError(
      'context_length_exceeded',
      `This model's maximum context length is ${entry.context_window} tokens; the request is ` +
        `estimated at ${prompt} prompt tokens${completion > 0 ? ` plus ${completion} requested completion tokens` : ''}.`,
      'messages',
    );
  }
}
